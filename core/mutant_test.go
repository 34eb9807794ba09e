package core

import "testing"

// TestMutantNames: every mutant has a name that parses back to it.
func TestMutantNames(t *testing.T) {
	if n := len(mutantNames.List()); n != int(numMutants) {
		t.Fatalf("%d names for %d mutants", n, numMutants)
	}
	for _, m := range AllMutants() {
		got, err := ParseMutant(m.String())
		if err != nil || got != m {
			t.Errorf("ParseMutant(%q) = %v, %v; want %v", m.String(), got, err, m)
		}
	}
	if _, err := ParseMutant("no-such-mutant"); err == nil {
		t.Error("ParseMutant of an unknown name: want an error")
	}
}
