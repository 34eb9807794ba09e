package enum

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

type color uint8

var colors = New[color]("color", "red", "", "blue")

type signed int8

var signs = From[signed]("sign", -1, "minus", "zero", "plus")

func TestNames(t *testing.T) {
	assert.Equal(t, "red", colors.Name(0))
	assert.Equal(t, "color(1)", colors.Name(1), "a value without a name")
	assert.Equal(t, "color(9)", colors.Name(9))
	v, ok := colors.Parse("blue")
	assert.True(t, ok)
	assert.Equal(t, color(2), v)
	_, ok = colors.Parse("")
	assert.False(t, ok, "the empty name names nothing")
	var c color
	err := colors.Unmarshal([]byte("green"), &c)
	assert.True(t, errors.Is(err, ErrUnknown))
	assert.ErrorContains(t, err, `unknown color "green"`)
	assert.Equal(t, []color{0, 2}, colors.All())
	assert.Equal(t, "minus", signs.Name(-1))
	s, ok := signs.Parse("plus")
	assert.True(t, ok)
	assert.Equal(t, signed(1), s)
	assert.Equal(t, []string{"minus", "zero", "plus"}, signs.List())
}
