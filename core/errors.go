package core

import "errors"

// Errors returned by the core. They are sentinels so callers can errors.Is them.
var (
	ErrBadConfig = errors.New("zab: bad config")
	ErrUnknown   = errors.New("zab: unknown name")
)

func errUnknown(what, name string) error {
	return errors.Join(ErrUnknown, errors.New("zab: unknown "+what+" "+strconvQuote(name)))
}

func strconvQuote(s string) string { return "\"" + s + "\"" }
