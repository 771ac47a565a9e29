package auth

import (
	"fmt"
	"runtime"

	"github.com/alexedwards/argon2id"
)

// HashParams are argon2id's cost parameters.
type HashParams = argon2id.Params

// DefaultHashParams follow OWASP's recommended argon2id minimum (19 MiB,
// two passes): slow for an attacker, about 30 ms on one core for a login.
var DefaultHashParams = &HashParams{
	Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32,
}

// FastHashParams are for tests only: the same algorithm at a trivial cost.
var FastHashParams = &HashParams{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// Hasher hashes and checks passwords.
type Hasher struct {
	params *HashParams
	// dummy is checked against when the login is unknown, so that answer
	// takes as long as a wrong password and does not reveal which logins exist.
	dummy string
	// slots bounds concurrent hashes so a login flood cannot take all memory.
	slots chan struct{}
}

// NewHasher returns a Hasher with params (DefaultHashParams if nil).
func NewHasher(params *HashParams) *Hasher {
	if params == nil {
		params = DefaultHashParams
	}
	h := &Hasher{params: params, slots: make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))}
	h.dummy, _ = argon2id.CreateHash("no such account", params)
	return h
}

// Hash returns the encoded hash of password.
func (h *Hasher) Hash(password string) (string, error) {
	h.slots <- struct{}{}
	defer func() { <-h.slots }()
	s, err := argon2id.CreateHash(password, h.params)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return s, nil
}

// Verify reports whether password matches the encoded hash.
func (h *Hasher) Verify(password, hash string) bool {
	h.slots <- struct{}{}
	defer func() { <-h.slots }()
	ok, err := argon2id.ComparePasswordAndHash(password, hash)
	return err == nil && ok
}

// burn spends the time of one verification.
func (h *Hasher) burn(password string) { h.Verify(password, h.dummy) }
