package player

import (
	"encoding/json"
	"testing"
)

func benchP(b *testing.B) *Player {
	p, err := NewPlayer(PlayerConfig{Voters: 5, Observers: 1, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	p.AdvanceTo(5000)
	return p
}

func BenchmarkZAdvance16(b *testing.B) {
	p := benchP(b)
	t := int64(5000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t += 16
		p.AdvanceTo(t)
		p.Take()
	}
}
func BenchmarkZState(b *testing.B) {
	p := benchP(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = p.State()
	}
}
func BenchmarkZMarshal(b *testing.B) {
	p := benchP(b)
	st := p.State()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		json.Marshal(&st)
	}
}
