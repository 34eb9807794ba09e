package httpjson

import (
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestError(t *testing.T) {
	rec := httptest.NewRecorder()
	Error(rec, 400, errors.New(`bad "path"`))
	assert.Equal(t, 400, rec.Code)
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	assert.JSONEq(t, `{"error":"bad \"path\""}`, rec.Body.String())
}
