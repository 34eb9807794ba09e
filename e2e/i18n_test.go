package e2e

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zabplay/zabplay/core/check"
)

// TestChineseLessonPage opens a lesson in Chinese: the page is zh-Hans, loads
// with no console error (newPage fails the test on one), its widget elects a
// leader, opening a prediction's answer is recorded by static/progress.js,
// and the lessons index then shows the visit and the prediction.
func TestChineseLessonPage(t *testing.T) {
	base := startSite(t)
	b := newBrowser(t, 1280, 900)
	p := newPage(t, b, base+"/zh/lessons/roles-votes-zxid", 1280, 900)
	if lang := eval[string](p, `document.documentElement.lang`); lang != "zh-Hans" {
		t.Errorf("<html lang> = %q, want zh-Hans", lang)
	}
	if href := eval[string](p, `document.querySelector('[data-testid="lang-switch"]').getAttribute('href')`); href != "/lessons/roles-votes-zxid" {
		t.Errorf("language switch goes to %q", href)
	}
	p.wait("the widget to mount", widgetJS(1)+`?.dataset.simTime !== undefined`, 30*time.Second)
	p.click("the widget (to make it the active one)", `(//section[@data-widget])[1]//span[contains(@class,"zw-timebox")]`)
	faster(p, 4)
	if eval[string](p, widgetJS(1)+`.dataset.playing`) != "true" {
		p.click("播放 (Play)", button(1, "播放"))
	}
	p.wait("a leader elected", leaderJS(1), 60*time.Second)
	p.shot("lesson-zh-roles-votes-zxid")

	// The script panel beside the ring shows the scenario's comments in
	// Chinese, as comments, and marks a statement as the running line.
	p.wait("the script panel's running line", widgetJS(1)+`.querySelector('.zw-script-list .zw-script-now') != null`, 10*time.Second)
	comments := eval[[]string](p, `[...`+widgetJS(1)+`.querySelectorAll('.zw-script-list .zw-script-comment code')].map(e => e.textContent.trim()).filter(s => s)`)
	if len(comments) == 0 {
		t.Errorf("the script panel shows no comment")
	}
	for _, c := range comments {
		if !regexp.MustCompile(`^# .*\p{Han}`).MatchString(c) {
			t.Errorf("script panel comment %q is not a Chinese comment", c)
		}
	}
	if now := eval[string](p, widgetJS(1)+`.querySelector('.zw-script-list .zw-script-now').className`); !strings.Contains(now, "zw-script-stmt") {
		t.Errorf("the running line is %q, not a statement", now)
	}

	p.click("the first prediction's answer", `(//aside[@data-predict])[1]//summary`)
	p.wait("the prediction recorded", `JSON.parse(localStorage.getItem('zabplay-progress-v1') || '{}').predicts?.['roles-votes-zxid-1'] === true`, 10*time.Second)
	if !eval[bool](p, `JSON.parse(localStorage.getItem('zabplay-progress-v1')).visited['roles-votes-zxid'] === true`) {
		t.Errorf("the visit was not recorded")
	}

	idx := newPage(t, b, base+"/zh/lessons", 1280, 900)
	idx.wait("the progress view", `document.querySelector('[data-progress-line]').textContent.includes('1/12')`, 10*time.Second)
	marks := eval[string](idx, `document.querySelector('li[data-slug="roles-votes-zxid"] [data-lesson-progress]').textContent`)
	if marks != "✓ 已看过 · 预测 1/2" {
		t.Errorf("lesson 2's progress marks = %q", marks)
	}
	idx.shot("lessons-zh-progress")
}

// TestStringTables: every module of static/ that exports a string table
// ({en: {...}, zh: {...}}, i18n.js) has the same keys in both languages, so no
// UI string is left untranslated; every property the checker can name
// (check.Properties) is explained (pg-util.js PROPERTY_TEXT); and the
// widget's own buttons on a Chinese page are in Chinese.
func TestStringTables(t *testing.T) {
	base := startSite(t)
	b := newBrowser(t, 1280, 900)
	p := newPage(t, b, base+"/zh/playground", 1280, 900)
	entries, err := os.ReadDir("../static")
	if err != nil {
		t.Fatal(err)
	}
	var mods []string
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, ".js") && n != "wasm_exec.js" {
			mods = append(mods, n)
		}
	}
	list, _ := json.Marshal(mods)
	props, _ := json.Marshal(check.Properties)
	eval[bool](p, `(window.__tables = null, (async () => {
	  const out = {tables: [], bad: []};
	  for (const m of `+string(list)+`) {
	    const x = await import('/static/' + m);
	    for (const [name, v] of Object.entries(x)) {
	      if (!v || typeof v !== 'object' || Array.isArray(v) || !('en' in v) || !('zh' in v)) continue;
	      out.tables.push(m + ' ' + name);
	      const en = Object.keys(v.en).sort().join(), zh = Object.keys(v.zh).sort().join();
	      if (en !== zh) out.bad.push(m + ' ' + name + ': en has ' + en + ', zh has ' + zh);
	    }
	  }
	  const {PROPERTY_TEXT} = await import('/static/pg-util.js');
	  out.unexplained = `+string(props)+`.filter((k) => !PROPERTY_TEXT.en[k]);
	  window.__tables = out;
	})(), true)`)
	p.wait("the modules' tables", `window.__tables !== null`, 20*time.Second)
	tables := eval[[]string](p, `window.__tables.tables`)
	for _, want := range []string{"pg-controls.js TEXT", "pg-controls.js FIELDS", "pg-narrate.js TEXT", "pg-task.js TEXT"} {
		if !slices.Contains(tables, want) {
			t.Errorf("no string table %q among %v", want, tables)
		}
	}
	for _, bad := range eval[[]string](p, `window.__tables.bad`) {
		t.Errorf("untranslated: %s", bad)
	}
	for _, miss := range eval[[]string](p, `window.__tables.unexplained`) {
		t.Errorf("the checker's property %s has no text in pg-util.js PROPERTY_TEXT: the alarm would say nothing about it", miss)
	}
	p.wait("the widget", widgetJS(1)+`?.dataset.simTime != null`, 30*time.Second)
	for _, label := range []string{"杀掉 Leader", "恢复网络", "单步", "写入"} {
		if !eval[bool](p, `document.evaluate(`+jsString(button(1, label))+`, document, null, 9, null).singleNodeValue !== null`) {
			t.Errorf("no %q button on the Chinese playground", label)
		}
	}
}
