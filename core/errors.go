package core

import (
	"errors"

	"github.com/zabplay/zabplay/core/enum"
)

// Errors returned by the core. They are sentinels so callers can errors.Is them.
var (
	ErrBadConfig = errors.New("zab: bad config")
	// ErrUnknown wraps every unknown-name error of the core's enums.
	ErrUnknown = enum.ErrUnknown
)
