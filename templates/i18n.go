package templates

import (
	"fmt"
	"strings"
)

// Lang is a language of the site. English pages live at /..., Chinese ones
// at /zh/... (Href).
type Lang string

// The site's languages.
const (
	En Lang = "en"
	Zh Lang = "zh"
)

// Langs are the site's languages, the default first.
var Langs = []Lang{En, Zh}

// T returns the page chrome of a language (English for an unknown one).
func (l Lang) T() *Text {
	if l == Zh {
		return &zh
	}
	return &en
}

// Other is the language the language switch offers.
func (l Lang) Other() Lang {
	if l == Zh {
		return En
	}
	return Zh
}

// Href is path ("/", "/lessons/broadcast") in this language: unchanged in
// English, under /zh/ in Chinese.
func (l Lang) Href(path string) string {
	if l != Zh {
		return path
	}
	if path == "/" {
		return "/zh/"
	}
	return "/zh" + path
}

// Shortcut is one keyboard shortcut of the playground.
type Shortcut struct{ Keys, Does string }

// Text is every user-facing string of the page chrome in one language: one
// table per language (en, zh below), so nothing is left untranslated (a
// test checks that no field of either is empty). The widget's own strings
// live in static/ (T objects in the modules); the lessons in lessons/.
type Text struct {
	HTMLLang  string // <html lang>, and hreflang of links to this language
	LangName  string // the language's own name, shown on the switch to it
	SwitchTo  string // the switch's accessible name: "Read this page in Chinese"
	SiteTitle string // the home page's title
	NavMain   string // the main navigation's accessible name
	Home      string
	Play      string
	Lessons   string
	Glossary  string
	Footer    string
	SkipLink  string
	// FooterSimOnly replaces Footer on a site without live servers (the
	// Workers edition, Site.SimOnly); LiveOff is what each widget says
	// there, beside its disabled Live switch.
	FooterSimOnly string
	LiveOff       string

	// Home page.
	HeroTitle   string
	HeroLead    string
	AnswerTitle string
	AnswerText  string
	NextBefore  string // ... "the lessons" ...
	NextLessons string
	NextMiddle  string // ... "the playground" ...
	NextPlay    string
	NextAfter   string

	// Playground page.
	// PlayLead names the playground's ensemble (voters, observers: the
	// address's, or 5 and 1) and says what to do with it.
	PlayLead      func(voters, observers int) string
	HowTo         string
	HowToSteps    []string
	ShortcutsHead string
	Shortcuts     []Shortcut

	// Lessons index and lesson pages.
	LessonsLead     string
	LessonOf        func(n, total int) string
	AllLessons      string
	OnToPlay        string
	LessonNav       string // the prev/next navigation's accessible name
	ProgressHead    string
	ProgressSummary string // {visited} {tasks} {predicts} {right} {lessons} {taskTotal} {predictTotal} are filled in by progress.js
	ProgressNone    string // shown without JavaScript or storage
	ProgressVisited string
	ProgressTask    string
	ProgressPredict string
	ProgressRight   string // a lesson's predictions answered right; progress.js fills in {n}
	ProgressReset   string

	// Predictions.
	Predict    string
	ShowAnswer string
	AnswerIs   func(letter string) string

	// Glossary page.
	GlossaryLead string

	// Errors.
	NotFound        string
	NotFoundBefore  string // ... the path ...
	NotFoundAfter   string
	NotFoundHome    string
	NotFoundPlay    string
	NotFoundLessons string
	MethodTitle     string
	MethodText      func(method string) string
	GoHome          string

	// Widget fallback (before the simulator loads).
	WidgetLabel   string
	WidgetLoading string
	WasmMissing1  string // ... `task serve` ...
	WasmMissing2  string // ... `task wasm` ...
	WasmMissing3  string
}

var en = Text{
	HTMLLang:  "en",
	LangName:  "English",
	SwitchTo:  "Read this page in English",
	SiteTitle: "zabplay: watch ZooKeeper's ZAB work",
	NavMain:   "Main",
	Home:      "Home",
	Play:      "Playground",
	Lessons:   "Lessons",
	Glossary:  "Glossary",
	Footer:    "zabplay simulates ZAB as ZooKeeper 3.9 implements it: a deterministic core, run in your browser, or on real servers in Live mode.",
	SkipLink:  "Skip to the content",

	FooterSimOnly: "zabplay simulates ZAB as ZooKeeper 3.9 implements it: a deterministic core, run in your browser. " +
		"This is the simulated edition: Live mode, on real servers, and shared class sessions need a machine running zabplay serve.",
	LiveOff: "Live mode and shared class sessions are off on this site: they need a machine running zabplay serve, " +
		"which starts real servers and relays a class. Everything else runs here, in your browser.",

	HeroTitle: "See ZooKeeper's ZAB protocol at work",
	HeroLead: "zabplay is a playground for ZAB, the protocol ZooKeeper uses to keep its servers in agreement. " +
		"A faithful model of ZooKeeper 3.9 runs right here in your browser: kill the leader, cut the network, " +
		"and watch every message.",
	AnswerTitle: "How does ZooKeeper keep leader and followers in sync?",
	AnswerText: "Every write goes through one leader, which numbers it with the next zxid and sends it to every " +
		"follower as a PROPOSAL; once a majority has written it to disk and acknowledged it, the leader COMMITs it, " +
		"so every server applies the same writes in the same order. When the leader dies, the survivors elect the " +
		"server with the newest history, and before it takes a single new write it brings every follower to exactly " +
		"its history.",
	NextBefore: "Above, three servers start empty and elect a leader: with nothing else to compare, the highest " +
		"server id, s3, wins. Start with ",
	NextLessons: "the lessons",
	NextMiddle:  ", or open ",
	NextPlay:    "the playground",
	NextAfter:   " and break things.",

	PlayLead: func(v, o int) string {
		words := []string{"no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}
		n := func(k int, one, many string) string {
			if k == 1 {
				return "one " + one
			}
			return words[k] + " " + many
		}
		ens := n(v, "voter", "voters") + " and " + n(o, "observer", "observers")
		if o > 0 {
			ens += " (" + observerNames(o, v) + ")"
		}
		return strings.ToUpper(ens[:1]) + ens[1:] + ". Crash servers, split the network, write values, and watch ZAB keep one history."
	},
	HowTo: "How to use it",
	HowToSteps: []string{
		"Watch the first election, then select a server and use the controls on it.",
		"Every message is drawn as it travels; the lanes below show each server's phase and its log.",
		"The address bar always holds the whole run: copy it to share exactly what you see.",
	},
	ShortcutsHead: "Keyboard shortcuts",
	Shortcuts: []Shortcut{
		{"Space", "play or pause"},
		{"n", "step to the next narrated event (the caption under the ring says what happened and why)"},
		{"k", "kill the leader"},
		{"f", "freeze the leader for 3 s (a pause, not a crash: only its silence gives it away)"},
		{"p", "partition the selected servers from the rest"},
		{"h", "heal the network: end every partition and cut"},
		{"w", "write a value through the selected server"},
		{"[ and ]", "slower and faster"},
		{"1 to 9", "select server s1 to s9"},
		{"Esc", "close the detail panel"},
	},

	LessonsLead: "Twelve short lessons, from why ZooKeeper needs a leader to the bugs that once lost its data. " +
		"Each has an ensemble to poke at, a task and a prediction. Start at the top.",
	LessonOf:        func(n, total int) string { return fmt.Sprintf("Lesson %d of %d", n, total) },
	AllLessons:      "All lessons",
	OnToPlay:        "On to the playground →",
	LessonNav:       "Lessons",
	ProgressHead:    "Your progress",
	ProgressSummary: "{visited} of {lessons} lessons visited · {tasks} of {taskTotal} tasks done · {predicts} of {predictTotal} predictions answered ({right} right)",
	ProgressNone:    "Your progress is kept in this browser only, once you open a lesson.",
	ProgressVisited: "visited",
	ProgressTask:    "task done",
	ProgressPredict: "predictions",
	ProgressRight:   "✓ {n} right",
	ProgressReset:   "Forget my progress",

	Predict:    "Predict",
	ShowAnswer: "Show the answer",
	// The space ends the sentence before why, which follows the <strong> at once
	// (Chinese needs none after its full stop).
	AnswerIs: func(letter string) string { return "Answer: " + letter + ". " },

	GlossaryLead: "Every term of the course in English and 简体中文.",

	NotFound:        "Not found",
	NotFoundBefore:  "There is no page at ",
	NotFoundAfter:   ". Maybe one of these is what you were after:",
	NotFoundHome:    ": what zabplay is, with a running ensemble",
	NotFoundPlay:    ": five servers to break",
	NotFoundLessons: ": from elections to historical bugs, in twelve lessons",
	MethodTitle:     "Method not allowed",
	MethodText:      func(m string) string { return "This site only reads: it answers GET and HEAD, not " + m + "." },
	GoHome:          "Go home",

	WidgetLabel:   "ZAB ensemble playground",
	WidgetLoading: "Loading the simulator… It runs in your browser and needs JavaScript and WebAssembly.",
	WasmMissing1:  "The simulator is not built. Run ",
	WasmMissing2:  " (which builds it) or ",
	WasmMissing3:  ", then reload this page.",
}

var zh = Text{
	HTMLLang:  "zh-Hans",
	LangName:  "中文",
	SwitchTo:  "用中文阅读本页",
	SiteTitle: "zabplay：看 ZooKeeper 的 ZAB 协议如何工作",
	NavMain:   "主导航",
	Home:      "首页",
	Play:      "演练场",
	Lessons:   "课程",
	Glossary:  "术语表",
	Footer:    "zabplay 按 ZooKeeper 3.9 的实现模拟 ZAB：一个确定性的核心，直接运行在你的浏览器里；Live 模式下则运行在真实的服务器上。",
	SkipLink:  "跳到正文",

	FooterSimOnly: "zabplay 按 ZooKeeper 3.9 的实现模拟 ZAB：一个确定性的核心，直接运行在你的浏览器里。" +
		"这是纯模拟版：Live 模式（真实的服务器）和课堂共享都需要一台运行 zabplay serve 的机器。",
	LiveOff: "本站未开启 Live 模式和课堂共享：它们需要一台运行 zabplay serve 的机器来启动真实的服务器、转发课堂。" +
		"其余一切都在你的浏览器里运行。",

	HeroTitle: "看 ZooKeeper 的 ZAB 协议如何工作",
	HeroLead: "zabplay 是 ZAB 的演练场。ZAB 是 ZooKeeper 用来让各台服务器保持一致的协议。" +
		"一个忠实于 ZooKeeper 3.9 的模型就运行在你的浏览器里：杀掉 Leader，切断网络，看清每一条消息。",
	AnswerTitle: "ZooKeeper 怎么保证主从节点的状态同步？",
	AnswerText: "所有写请求都经过唯一的 Leader：它给每次写分配下一个 zxid，以 PROPOSAL 发给每个 Follower；" +
		"过半的节点把它写入磁盘并返回 ACK 之后，Leader 发出 COMMIT 提交它，于是每台服务器以相同的顺序应用相同的写。" +
		"Leader 宕机时，幸存者选出拥有最新历史的服务器；在接受任何新的写之前，它先让每个 Follower 追平到和自己完全相同的历史。",
	NextBefore:  "上面三台服务器从空数据启动，选出一个 Leader：没有别的可比，服务器 ID 最大的 s3 胜出。从",
	NextLessons: "课程",
	NextMiddle:  "开始吧，或者打开",
	NextPlay:    "演练场",
	NextAfter:   "，随便折腾。",

	PlayLead: func(v, o int) string {
		nums := []string{"零", "一", "两", "三", "四", "五", "六", "七", "八", "九"}
		ens := nums[v] + "个投票成员"
		if o == 0 {
			ens += "，没有 Observer"
		} else {
			ens += "加" + nums[o] + "个 Observer（" + observerNames(o, v) + "）"
		}
		return ens + "。让服务器宕机、切分网络、写入数据，看 ZAB 如何始终保持一份历史。"
	},
	HowTo: "使用方法",
	HowToSteps: []string{
		"先看第一次选举，然后选中一台服务器，用它上面的控件操作。",
		"每条消息在传输时都会画出来；下方的泳道显示每台服务器所处的阶段和它的日志。",
		"地址栏始终保存着整个运行过程：复制它，别人就能看到和你完全一样的画面。",
	},
	ShortcutsHead: "键盘快捷键",
	Shortcuts: []Shortcut{
		{"Space", "播放或暂停"},
		{"n", "单步：前进到下一个有解说的事件（环下方的说明会讲清发生了什么、为什么）"},
		{"k", "杀掉 Leader"},
		{"f", "冻结 Leader 3 秒（是暂停而不是宕机：只有它的沉默会暴露问题）"},
		{"p", "把选中的服务器与其余服务器分区隔开"},
		{"h", "恢复网络：结束所有分区和切断"},
		{"w", "通过选中的服务器写入一个值"},
		{"[ 和 ]", "减速和加速"},
		{"1 到 9", "选中服务器 s1 到 s9"},
		{"Esc", "关闭详情面板"},
	},

	LessonsLead: "十二节短课，从 ZooKeeper 为什么需要一个 Leader，讲到曾经让它丢数据的那些 Bug。" +
		"每节课都有一个可以随意操作的集群、一个任务和一个预测。从第一课开始吧。",
	LessonOf:        func(n, total int) string { return fmt.Sprintf("第 %d 课（共 %d 课）", n, total) },
	AllLessons:      "全部课程",
	OnToPlay:        "去演练场 →",
	LessonNav:       "课程导航",
	ProgressHead:    "学习进度",
	ProgressSummary: "已看过 {visited}/{lessons} 课 · 完成 {tasks}/{taskTotal} 个任务 · 回答 {predicts}/{predictTotal} 个预测（答对 {right} 个）",
	ProgressNone:    "打开任意一课后，学习进度只保存在这个浏览器里。",
	ProgressVisited: "已看过",
	ProgressTask:    "任务完成",
	ProgressPredict: "预测",
	ProgressRight:   "✓ 答对 {n} 个",
	ProgressReset:   "清除我的进度",

	Predict:    "预测",
	ShowAnswer: "查看答案",
	AnswerIs:   func(letter string) string { return "答案：" + letter + "。" },

	GlossaryLead: "课程中的全部术语，中英对照。",

	NotFound:        "页面不存在",
	NotFoundBefore:  "页面 ",
	NotFoundAfter:   " 不存在。也许你要找的是这些：",
	NotFoundHome:    "：zabplay 是什么，附带一个正在运行的集群",
	NotFoundPlay:    "：五台服务器，随你折腾",
	NotFoundLessons: "：从选举到历史 Bug，一共十二课",
	MethodTitle:     "不支持的请求方法",
	MethodText:      func(m string) string { return "本站只读：只响应 GET 和 HEAD，不响应 " + m + "。" },
	GoHome:          "回到首页",

	WidgetLabel:   "ZAB 集群演练场",
	WidgetLoading: "正在加载模拟器……它运行在你的浏览器里，需要 JavaScript 和 WebAssembly。",
	WasmMissing1:  "模拟器还没有构建。运行 ",
	WasmMissing2:  "（它会顺便构建）或 ",
	WasmMissing3:  "，然后刷新本页。",
}

// observerNames is "s6" or "s6–s7": the observers' names, after the
// voters'.
func observerNames(observers, voters int) string {
	if observers == 1 {
		return fmt.Sprintf("s%d", voters+1)
	}
	return fmt.Sprintf("s%d–s%d", voters+1, voters+observers)
}
