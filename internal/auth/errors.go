package auth

import "errors"

var (
	ErrBadCredentials = errors.New("wrong login or password")
	ErrRateLimited    = errors.New("too many failed logins, try again later")
	ErrDisabled       = errors.New("account disabled")
	ErrNoToken        = errors.New("no credentials presented")
	ErrInvalidToken   = errors.New("credentials invalid, expired or revoked")
	ErrWeakPassword   = errors.New("password too short")
)
