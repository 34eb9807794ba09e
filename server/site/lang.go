package site

import (
	"strconv"
	"strings"
)

// PrefersChinese reports whether an Accept-Language header ranks Chinese
// (zh, zh-CN, zh-Hans, zh-TW...) above English: the site has those two
// languages, so other tags only matter through their order. Chinese must
// have a q above 0 and above English's (a tie goes to the one listed first).
func PrefersChinese(header string) bool {
	zh, en := -1.0, -1.0
	zhAt, enAt := 0, 0
	for i, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.ToLower(strings.TrimSpace(tag))
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.TrimSpace(k) == "q" {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil || f < 0 || f > 1 {
					f = 0
				}
				q = f
			}
		}
		primary, _, _ := strings.Cut(tag, "-")
		switch primary {
		case "zh":
			if q > zh {
				zh, zhAt = q, i
			}
		case "en":
			if q > en {
				en, enAt = q, i
			}
		}
	}
	if zh <= 0 {
		return false
	}
	return zh > en || (zh == en && zhAt < enAt)
}
