package e2e

import (
	"testing"
	"time"
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
