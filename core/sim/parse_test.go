package sim

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseErrors(t *testing.T) {
	cases := []struct {
		src, want string
	}{
		{"", "empty scenario"},
		{"run 2s", "first line must be: ensemble"},
		{"ensemble voters=10", "voters=10: want 1 to 9"},
		{"ensemble voters=3 colour=red", `unknown ensemble key "colour"`},
		{"ensemble\nrun 2", `duration "2": want a unit`},
		{"ensemble\nwait forever", "want: wait leader|synced"},
		{"ensemble\ncut s1", "want: cut A-B"},
		{"ensemble\npartition s1", "at least two groups"},
		{"ensemble\nexpect role s1 == boss", `role "boss"`},
		{"ensemble\ncreate a x", `path "a" must start with /`},
		{"ensemble\nbug ZOOKEEPER-9999 on", `unknown bug "ZOOKEEPER-9999"`},
		{"ensemble\nfly away", `unknown verb "fly"`},
		{"ensemble\nensemble", "only one ensemble line"},
	}
	for _, tc := range cases {
		_, err := Parse("x.txt", tc.src)
		require.Error(t, err, "Parse(%q)", tc.src)
		assert.Contains(t, err.Error(), tc.want, "Parse(%q)", tc.src)
		var pe *ParseError
		if tc.src != "" {
			require.True(t, errors.As(err, &pe), "Parse(%q) = %v, want a *ParseError", tc.src, err)
			assert.Contains(t, err.Error(), "x.txt:")
		}
	}
}

func TestRunErrorsNameTheLine(t *testing.T) {
	_, err := RunScenario("r.txt", "ensemble voters=3\nwait leader\ncrash s9\n", nil, nil, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `r.txt:3: "crash s9": no server s9`)
}
