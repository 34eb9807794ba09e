package player

import (
	"encoding/json"
	"testing"
)

// The browser's every frame (wasm/main.go frame) is these three: the
// simulator run 16 ms further (one frame at 1× speed), the state built, and
// the state as JSON. Split, they say where a cheaper frame is to be found:
//
//	go test ./core/sim/player -run XXX -bench Frame -benchmem
func BenchmarkFrame(b *testing.B) {
	for _, c := range []struct {
		name              string
		voters, observers int
	}{{"5+1", 5, 1}, {"9", 9, 0}} {
		start := func(b *testing.B) *Player {
			p, err := NewPlayer(PlayerConfig{Voters: c.voters, Observers: c.observers, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			p.AdvanceTo(5000)
			return p
		}
		b.Run(c.name+"/advance16ms", func(b *testing.B) {
			p := start(b)
			t := int64(5000)
			for i := 0; i < b.N; i++ {
				t += 16
				p.AdvanceTo(t)
				p.Take()
			}
		})
		b.Run(c.name+"/state", func(b *testing.B) {
			p := start(b)
			for i := 0; i < b.N; i++ {
				_ = p.State()
			}
		})
		b.Run(c.name+"/json", func(b *testing.B) {
			st := start(b).State()
			for i := 0; i < b.N; i++ {
				if _, err := json.Marshal(&st); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
