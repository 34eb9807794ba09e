package script

import "fmt"

// ErrorKind says what kind of mistake an *Error is.
type ErrorKind uint8

// The kinds of Error.
const (
	// ErrSyntax is a malformed statement.
	ErrSyntax ErrorKind = iota + 1
	// ErrNotHere is a well-formed statement the place does not take (a
	// live ensemble takes no run, wait or expect).
	ErrNotHere
	// ErrReference is a server reference that names no server now (no
	// leader, an unknown sN or name).
	ErrReference
	// ErrRefused is a statement the ensemble's state refuses (restart a
	// running server, resume one that is not paused, cut s1-s1).
	ErrRefused
)

var errorKindNames = [...]string{ErrSyntax: "syntax", ErrNotHere: "not here", ErrReference: "reference", ErrRefused: "refused"}

func (k ErrorKind) String() string {
	if int(k) < len(errorKindNames) && errorKindNames[k] != "" {
		return errorKindNames[k]
	}
	return "error"
}

// Error is a statement the interpreter did not apply: nothing of it was
// applied. Msg is for people; Kind is for code (an HTTP status, say).
type Error struct {
	Kind ErrorKind
	Verb Verb // the statement's verb, when known
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// Is makes errors.Is(err, &Error{Kind: k}) match every Error of kind k.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Msg == "" && t.Kind == e.Kind
}

func errorf(kind ErrorKind, format string, a ...any) *Error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, a...)}
}

// Refused is an error a Target returns when its state refuses a statement
// (a server already down, say): the interpreter's callers treat it as the
// caller's mistake, not the ensemble's failure.
func Refused(format string, a ...any) error { return errorf(ErrRefused, format, a...) }

// ParseError is a malformed line of a scenario file.
type ParseError struct {
	File string
	Line int
	Text string
	Msg  string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d: %q: %s", e.File, e.Line, e.Text, e.Msg)
}

// Unwrap makes errors.Is(err, &Error{Kind: ErrSyntax}) hold.
func (e *ParseError) Unwrap() error { return &Error{Kind: ErrSyntax, Msg: e.Msg} }
