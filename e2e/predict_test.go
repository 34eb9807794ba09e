package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestPredictionAnswer: on lesson 2 the first prediction holds its widget at
// the start; the learner picks a wrong choice; the widget plays to the
// moment that answers it (s3 leads), the box says it was not right and why;
// the answer is stored, and the lessons index counts it. The second
// prediction, answered right, is counted as right.
func TestPredictionAnswer(t *testing.T) {
	base := startSite(t)
	b := newBrowser(t, 1280, 900)
	p := newPage(t, b, base+"/lessons/roles-votes-zxid", 1280, 900)
	p.wait("the widget to mount", widgetJS(1)+`?.dataset.simTime !== undefined`, 30*time.Second)
	p.wait("the widget held before the key moment", widgetJS(1)+`.dataset.playing === 'false' && document.querySelector('.predict-choice')`, 10*time.Second)
	if n := eval[int](p, `document.querySelectorAll('aside[data-predict="roles-votes-zxid-1"] button.predict-choice').length`); n != 3 {
		t.Fatalf("prediction 1 has %d choice buttons, want 3", n)
	}
	if eval[bool](p, leaderJS(1)) {
		t.Errorf("the widget shows a leader before the prediction is answered")
	}
	p.click("choice A (wrong)", `//aside[@data-predict="roles-votes-zxid-1"]//button[@data-choice="1"]`)
	p.wait("the verdict", `document.querySelector('aside[data-predict="roles-votes-zxid-1"]').dataset.result === 'wrong'`, 60*time.Second)
	if !eval[bool](p, leaderJS(1)) || eval[string](p, widgetJS(1)+`.querySelector('[data-role="leading"]').dataset.node`) != "s3" {
		t.Errorf("after the verdict the widget does not show s3 leading: %s", p.describe())
	}
	verdict := eval[string](p, `document.querySelector('aside[data-predict="roles-votes-zxid-1"] [data-testid="predict-verdict"]').textContent`)
	if verdict != "Not quite: you picked A; the answer is B." {
		t.Errorf("verdict %q", verdict)
	}
	if !eval[bool](p, `document.querySelector('aside[data-predict="roles-votes-zxid-1"] details').open`) {
		t.Errorf("the why is not shown")
	}
	stored := eval[string](p, `JSON.stringify(JSON.parse(localStorage.getItem('zabplay-progress-v1')).predicts['roles-votes-zxid-1'])`)
	if stored != `{"choice":1,"right":false}` {
		t.Errorf("stored answer %s", stored)
	}
	p.shot("predict-answered")

	p.click("prediction 2, choice by its answer", `//aside[@data-predict="roles-votes-zxid-2"]//button[@data-choice=string(//aside[@data-predict="roles-votes-zxid-2"]/@data-answer)]`)
	p.wait("the second verdict", `document.querySelector('aside[data-predict="roles-votes-zxid-2"]').dataset.result === 'right'`, 90*time.Second)

	// A reload keeps the answers: the boxes show them, the widgets are not held.
	p2 := newPage(t, b, base+"/lessons/roles-votes-zxid", 1280, 900)
	p2.wait("the answer shown again", `document.querySelector('aside[data-predict="roles-votes-zxid-1"]')?.dataset.result === 'wrong'`, 30*time.Second)

	idx := newPage(t, b, base+"/lessons", 1280, 900)
	idx.wait("the progress view", `document.querySelector('[data-progress-line]').textContent.includes('2 of 12 predictions answered (1 right)') || document.querySelector('[data-progress-line]').textContent.includes('(1 right)')`, 10*time.Second)
	marks := eval[string](idx, `document.querySelector('li[data-slug="roles-votes-zxid"] [data-lesson-progress]').textContent`)
	if marks != "✓ visited · predictions 2/2 · ✓ 1 right" {
		t.Errorf("lesson 2's progress marks = %q", marks)
	}
}

// TestTeachingScreens takes the screenshots of the predictions, the class bar
// and the presenter view at 390, 1280 and 1920 px in both languages
// (e2e/artifacts/teach-*.png), to look at: a prediction answered right, the
// lesson page around it, and the presenter view of the same lesson.
func TestTeachingScreens(t *testing.T) {
	base := startSite(t)
	for _, sc := range []struct{ w, h int }{{390, 844}, {1280, 800}, {1920, 1080}} {
		for _, lang := range []string{"", "/zh"} {
			name := fmt.Sprintf("%d%s", sc.w, strings.ReplaceAll(lang, "/", "-"))
			t.Run(name, func(t *testing.T) {
				b := newBrowser(t, sc.w, sc.h)
				p := newPage(t, b, base+lang+"/lessons/roles-votes-zxid", sc.w, sc.h)
				p.wait("the widget to mount", widgetJS(1)+`?.__zw?.sim`, 30*time.Second)
				p.click("choice B", `//aside[@data-predict="roles-votes-zxid-1"]//button[@data-choice="2"]`)
				p.wait("the verdict", `document.querySelector('aside[data-predict="roles-votes-zxid-1"]').dataset.result === 'right'`, 60*time.Second)
				p.shot("teach-lesson-" + name)
				overflow := eval[int](p, `document.documentElement.scrollWidth - document.documentElement.clientWidth`)
				if overflow > 0 {
					t.Errorf("the page scrolls sideways by %d px", overflow)
				}
				q := newPage(t, b, base+lang+"/lessons/synchronization?present", sc.w, sc.h)
				q.wait("the widget to mount", widgetJS(1)+`?.__zw?.sim`, 30*time.Second)
				q.shot("teach-present-" + name)
			})
		}
	}
}
