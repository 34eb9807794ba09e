// Package enum is the one helper behind the names of the core's small enums
// (message types, event kinds, server states, phases, write kinds, sync modes,
// bug switches, mutants, ztree ops): a table from value to name, and back.
// Every String, Parse, MarshalText and UnmarshalText of those types is a
// one-line call into a Names.
package enum

import (
	"errors"
	"strconv"
)

// ErrUnknown wraps every "no such name" error.
var ErrUnknown = errors.New("zab: unknown name")

// Integer is what an enum's value may be.
type Integer interface {
	~int8 | ~uint8 | ~int16 | ~uint16 | ~int32 | ~uint32 | ~int | ~uint
}

// Names maps the values lo, lo+1, ... of an enum to their names; an empty
// name marks a value that has none.
type Names[T Integer] struct {
	kind  string // what the enum is called in errors and unknown names: "message type"
	lo    int
	names []string
}

// New is a table whose first name is for value 0.
func New[T Integer](kind string, names ...string) Names[T] {
	return Names[T]{kind: kind, names: names}
}

// From is a table whose first name is for value lo (an enum with negative
// values).
func From[T Integer](kind string, lo int, names ...string) Names[T] {
	return Names[T]{kind: kind, lo: lo, names: names}
}

// Name is v's name, or kind(v) for a value without one.
func (n Names[T]) Name(v T) string {
	if i := int(v) - n.lo; i >= 0 && i < len(n.names) && n.names[i] != "" {
		return n.names[i]
	}
	return n.kind + "(" + strconv.Itoa(int(v)) + ")"
}

// Parse finds the value named s.
func (n Names[T]) Parse(s string) (T, bool) {
	for i, name := range n.names {
		if name != "" && name == s {
			return T(i + n.lo), true
		}
	}
	return 0, false
}

// Unmarshal sets *v to the value named b (encoding.TextUnmarshaler's body),
// or returns an error wrapping ErrUnknown.
func (n Names[T]) Unmarshal(b []byte, v *T) error {
	x, ok := n.Parse(string(b))
	if !ok {
		return n.Unknown(string(b))
	}
	*v = x
	return nil
}

// Unknown is the error for a name s that is not in the table.
func (n Names[T]) Unknown(s string) error {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return errors.Join(ErrUnknown, errors.New("zab: unknown "+n.kind+" "+strconv.Quote(s)))
}

// All lists the named values in order.
func (n Names[T]) All() []T {
	out := make([]T, 0, len(n.names))
	for i, name := range n.names {
		if name != "" {
			out = append(out, T(i+n.lo))
		}
	}
	return out
}

// List is the names in order (without the empty ones).
func (n Names[T]) List() []string {
	out := make([]string, 0, len(n.names))
	for _, name := range n.names {
		if name != "" {
			out = append(out, name)
		}
	}
	return out
}

// Sparse is a table of values far apart (ZooKeeper's op and error codes):
// names maps each named value to its name; every value between them has
// none.
func Sparse[T Integer](kind string, names map[T]string) Names[T] {
	if len(names) == 0 {
		return Names[T]{kind: kind}
	}
	first := true
	lo, hi := 0, 0
	for v := range names {
		if first {
			lo, hi, first = int(v), int(v), false
		}
		lo, hi = min(lo, int(v)), max(hi, int(v))
	}
	list := make([]string, hi-lo+1)
	for v, name := range names {
		list[int(v)-lo] = name
	}
	return Names[T]{kind: kind, lo: lo, names: list}
}
