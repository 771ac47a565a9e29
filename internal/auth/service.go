package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/hotline10000/hotline/internal/ratelimit"
	"github.com/hotline10000/hotline/internal/store"
)

// Token prefixes tell a session from an API key at a glance (and to secret
// scanners) without a lookup.
const (
	sessionPrefix = "hls_"
	apiKeyPrefix  = "hlk_"
)

// Options configure a Service.
type Options struct {
	IdleTimeout       time.Duration // a session unused this long is over
	MaxAge            time.Duration // a session older than this is over
	LoginLimitAccount int           // ceiling of failed logins per account per window (untrusted addresses)
	LoginLimitAddress int           // ceiling of failed logins per address per window (untrusted accounts)
	LoginLimitWindow  time.Duration // window of the ceilings; a pair's failures are forgotten after it
	LoginFreeFailures int           // failures per (account, address) before delays; 0: 3
	LoginDelay        time.Duration // first delay, doubled per further failure; 0: 1s
	LoginDelayMax     time.Duration // longest delay; 0: 10m
	PasswordMinLength int
	Hash              *HashParams // nil: DefaultHashParams
	Now               func() time.Time
	Logger            *slog.Logger
}

// Principal is who is calling: an agent through a session, or an
// integration through an API key.
type Principal struct {
	Role      Role
	AgentID   string // empty for API keys
	Login     string // the agent's login, or the API key's name
	Name      string // display name
	SessionID string // empty for API keys
	APIKeyID  string // empty for sessions
}

// Can reports whether the principal has permission p.
func (p Principal) Can(perm Permission) bool { return p.Role.Can(perm) }

// Service authenticates against the store.
type Service struct {
	store  *store.Store
	hasher *Hasher
	o      Options
	logins *ratelimit.Throttle // password checks: logins and password changes

	mu        sync.Mutex           // guards touched, pending, flushedAt, flushing
	touched   map[string]time.Time // session id → last activity recorded (written or pending)
	pending   map[string]time.Time // activity not written yet (touch)
	flushedAt time.Time            // when pending was last taken for a write
	flushing  bool                 // a caller is writing a batch
}

// touchFlush is how long recorded activity may wait to be written with
// others in one transaction. At 10 000 desks re-checked every minute the
// sign-in sessions are touched about 170 times a second: written one by
// one, that was 170 SQLite write transactions a second. This node judges
// idleness from touched (memory); the store, and so other nodes and a
// restart, sees activity at most this much later.
const touchFlush = 5 * time.Second

// NewService returns a Service over st.
func NewService(st *store.Store, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{
		store:  st,
		hasher: NewHasher(o.Hash),
		o:      o,
		logins: ratelimit.NewThrottle(ratelimit.ThrottleOptions{
			Free: o.LoginFreeFailures, Delay: o.LoginDelay, MaxDelay: o.LoginDelayMax,
			AccountCeiling: o.LoginLimitAccount, AddressCeiling: o.LoginLimitAddress, Window: o.LoginLimitWindow,
		}),
		touched: map[string]time.Time{},
		pending: map[string]time.Time{},
	}
}

// Hasher returns the service's password hasher.
func (s *Service) Hasher() *Hasher { return s.hasher }

// RateLimitError says when to try again.
type RateLimitError struct{ RetryAfter time.Duration }

func (e *RateLimitError) Error() string   { return ErrRateLimited.Error() }
func (e *RateLimitError) Is(t error) bool { return t == ErrRateLimited }

// Login checks login and password and opens a session. It returns the bearer
// token, which is shown to the client once and never stored.
func (s *Service) Login(ctx context.Context, login, password, addr, userAgent string) (string, store.Session, store.Agent, error) {
	now := s.o.Now()
	login = strings.TrimSpace(login)
	// The attempt is reserved (and counted as a failure) before the hash
	// is checked, so parallel guesses cannot all pass the limit first.
	key := strings.ToLower(login)
	if len(key) > 64 {
		key = key[:64] // a malformed login is still one account key, of bounded size
	}
	att, wait := s.logins.Reserve(key, addr, now)
	if att == nil {
		return "", store.Session{}, store.Agent{}, &RateLimitError{RetryAfter: wait}
	}
	fail := func(reason string) (string, store.Session, store.Agent, error) {
		s.o.Logger.Info("login failed", "login", login, "remote_addr", addr, "reason", reason)
		return "", store.Session{}, store.Agent{}, ErrBadCredentials
	}
	if login == "" || len(login) > 64 || len(password) > 1024 {
		s.hasher.burn(password)
		return fail("malformed")
	}
	a, err := s.store.AgentByLogin(ctx, login)
	if errors.Is(err, store.ErrNotFound) {
		s.hasher.burn(password)
		return fail("unknown login")
	}
	if err != nil {
		att.Cancel(now)
		return "", store.Session{}, store.Agent{}, fmt.Errorf("login: %w", err)
	}
	if !s.hasher.Verify(password, a.PasswordHash) {
		return fail("wrong password")
	}
	if a.Disabled {
		// Only after the password: a disabled account is not an oracle.
		att.Cancel(now)
		return "", store.Session{}, store.Agent{}, ErrDisabled
	}
	att.Succeeded(now)
	token, hash := newToken(sessionPrefix)
	if len(userAgent) > 256 {
		userAgent = userAgent[:256]
	}
	sess, err := s.store.CreateSession(ctx, store.Session{
		TokenHash: hash, AgentID: a.ID, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(s.o.MaxAge), RemoteAddr: addr, UserAgent: userAgent,
	})
	if err != nil {
		return "", store.Session{}, store.Agent{}, fmt.Errorf("login: %w", err)
	}
	s.o.Logger.Info("login", "agent_id", a.ID, "login", a.Login, "session_id", sess.ID, "remote_addr", addr)
	return token, sess, a, nil
}

// Authenticate resolves a bearer token (session or API key) to a principal.
// A live session's activity is recorded, at most once a minute (or a
// quarter of the idle timeout, when shorter), and written to the store in
// batches (touchFlush).
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, error) {
	if token == "" {
		return Principal{}, ErrNoToken
	}
	now := s.o.Now()
	switch {
	case strings.HasPrefix(token, sessionPrefix):
		sess, a, err := s.store.SessionAgentByTokenHash(ctx, hashToken(token))
		if errors.Is(err, store.ErrNotFound) {
			return Principal{}, ErrInvalidToken
		}
		if err != nil {
			return Principal{}, fmt.Errorf("authenticate: %w", err)
		}
		if !s.live(sess, now) || a.Disabled {
			return Principal{}, ErrInvalidToken
		}
		s.touch(ctx, sess, now)
		return Principal{Role: Role(a.Role), AgentID: a.ID, Login: a.Login, Name: a.DisplayName, SessionID: sess.ID}, nil
	case strings.HasPrefix(token, apiKeyPrefix):
		k, err := s.store.APIKeyByHash(ctx, hashToken(token))
		if errors.Is(err, store.ErrNotFound) {
			return Principal{}, ErrInvalidToken
		}
		if err != nil {
			return Principal{}, fmt.Errorf("authenticate: %w", err)
		}
		if k.RevokedAt != nil {
			return Principal{}, ErrInvalidToken
		}
		if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) > time.Minute {
			if err := s.store.TouchAPIKey(ctx, k.ID, now); err != nil {
				s.o.Logger.Warn("record API key use", "api_key_id", k.ID, "err", err)
			}
		}
		return Principal{Role: Role(k.Role), Login: k.Name, Name: k.Name, APIKeyID: k.ID}, nil
	}
	return Principal{}, ErrInvalidToken
}

func (s *Service) live(sess store.Session, now time.Time) bool {
	if sess.RevokedAt != nil || !now.Before(sess.ExpiresAt) {
		return false
	}
	last := sess.LastSeenAt
	s.mu.Lock()
	if t, ok := s.touched[sess.ID]; ok && t.After(last) {
		last = t
	}
	s.mu.Unlock()
	return now.Sub(last) < s.o.IdleTimeout
}

// touch records activity when the last recorded is over a minute (or a
// quarter of the idle timeout) old: a write per request would make every
// API call a database write. The records are written in batches, one
// transaction per touchFlush, by the caller that finds one due.
func (s *Service) touch(ctx context.Context, sess store.Session, now time.Time) {
	s.mu.Lock()
	last, ok := s.touched[sess.ID]
	if !ok || last.Before(sess.LastSeenAt) {
		last = sess.LastSeenAt
	}
	// Well under the idle timeout: a short timeout (one minute) must not
	// log out a session in use between two writes.
	every := time.Minute
	if s.o.IdleTimeout > 0 {
		every = min(every, s.o.IdleTimeout/4)
	}
	if now.Sub(last) >= every {
		s.touched[sess.ID] = now
		if len(s.touched) > 100000 {
			s.touched = map[string]time.Time{sess.ID: now}
		}
		s.pending[sess.ID] = now
	}
	if len(s.pending) == 0 || s.flushing || now.Sub(s.flushedAt) < touchFlush {
		s.mu.Unlock()
		return
	}
	batch := s.take(now)
	s.mu.Unlock()
	s.write(ctx, batch)
}

// take hands the pending activity to the caller for writing. s.mu is held.
func (s *Service) take(now time.Time) map[string]time.Time {
	batch := s.pending
	s.pending = map[string]time.Time{}
	s.flushing, s.flushedAt = true, now
	return batch
}

// write stores a batch of activity in one transaction; on failure the
// batch waits for the next write (unless newer activity replaced it).
func (s *Service) write(ctx context.Context, batch map[string]time.Time) {
	err := s.store.TouchSessions(ctx, batch)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushing = false
	if err == nil {
		return
	}
	s.o.Logger.Warn("record session activity", "sessions", len(batch), "err", err)
	if len(s.pending) < 100000 {
		for id, at := range batch {
			if _, ok := s.pending[id]; !ok {
				s.pending[id] = at
			}
		}
	}
}

// Flush writes the activity still waiting (touchFlush); serve calls it on
// the way out, before the store closes.
func (s *Service) Flush(ctx context.Context) {
	s.mu.Lock()
	if s.flushing || len(s.pending) == 0 {
		s.mu.Unlock()
		return
	}
	batch := s.take(s.o.Now())
	s.mu.Unlock()
	s.write(ctx, batch)
}

// Logout ends the session the token belongs to.
func (s *Service) Logout(ctx context.Context, p Principal) error {
	if p.SessionID == "" {
		return ErrInvalidToken
	}
	return s.RevokeSession(ctx, p.SessionID)
}

// RevokeSession ends one session.
func (s *Service) RevokeSession(ctx context.Context, id string) error {
	if err := s.store.RevokeSession(ctx, id, s.o.Now()); err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	return nil
}

// RevokeAgent ends every session of an agent (a supervisor logging an agent
// out, a disabled account) and returns how many were live.
func (s *Service) RevokeAgent(ctx context.Context, agentID string) (int64, error) {
	n, err := s.store.RevokeAgentSessions(ctx, agentID, s.o.Now())
	if err != nil {
		return 0, fmt.Errorf("revoke agent sessions: %w", err)
	}
	return n, nil
}

// CreateAgent creates an account with a hashed password.
func (s *Service) CreateAgent(ctx context.Context, login, name string, role Role, password string) (store.Agent, error) {
	if role != RoleAgent && role != RoleSupervisor && role != RoleAdmin {
		return store.Agent{}, fmt.Errorf("create agent: %w: role %q", store.ErrInvalid, role)
	}
	if len([]rune(password)) < s.o.PasswordMinLength {
		return store.Agent{}, fmt.Errorf("create agent: %w (at least %d characters)", ErrWeakPassword, s.o.PasswordMinLength)
	}
	hash, err := s.hasher.Hash(password)
	if err != nil {
		return store.Agent{}, err
	}
	return s.store.CreateAgent(ctx, store.Agent{Login: login, DisplayName: name, Role: store.Role(role), PasswordHash: hash, CreatedAt: s.o.Now()})
}

// SetPassword replaces an agent's password and ends its other sessions.
func (s *Service) SetPassword(ctx context.Context, agentID, password, keepSession string) error {
	if len([]rune(password)) < s.o.PasswordMinLength {
		return fmt.Errorf("set password: %w (at least %d characters)", ErrWeakPassword, s.o.PasswordMinLength)
	}
	hash, err := s.hasher.Hash(password)
	if err != nil {
		return err
	}
	now := s.o.Now()
	return s.store.WithTx(ctx, func(tx *store.Store) error {
		if _, err := tx.UpdateAgent(ctx, agentID, store.AgentUpdate{PasswordHash: &hash}, now); err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		live, err := tx.AgentSessions(ctx, agentID, now)
		if err != nil {
			return err
		}
		for _, x := range live {
			if x.ID != keepSession {
				if err := tx.RevokeSession(ctx, x.ID, now); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// CheckPassword verifies an agent's current password (for a change of
// password by the agent) from addr. It is throttled like a login, on the
// same account: the password-change form is no way around the limit.
func (s *Service) CheckPassword(ctx context.Context, agentID, password, addr string) (bool, error) {
	a, err := s.store.Agent(ctx, agentID)
	if err != nil {
		return false, err
	}
	now := s.o.Now()
	att, wait := s.logins.Reserve(strings.ToLower(a.Login), addr, now)
	if att == nil {
		return false, &RateLimitError{RetryAfter: wait}
	}
	if !s.hasher.Verify(password, a.PasswordHash) {
		s.o.Logger.Info("password check failed", "agent_id", a.ID, "remote_addr", addr)
		return false, nil
	}
	att.Succeeded(now)
	return true, nil
}

// CreateAPIKey issues a key for an integration. The key is returned once.
func (s *Service) CreateAPIKey(ctx context.Context, name string, role Role, createdBy string) (string, store.APIKey, error) {
	if role != RoleIntegration && role != RoleSupervisor && role != RoleAdmin {
		return "", store.APIKey{}, fmt.Errorf("create API key: %w: role %q", store.ErrInvalid, role)
	}
	key, hash := newToken(apiKeyPrefix)
	k, err := s.store.CreateAPIKey(ctx, store.APIKey{Name: name, KeyHash: hash, Role: string(role), CreatedBy: createdBy, CreatedAt: s.o.Now()})
	if err != nil {
		return "", store.APIKey{}, err
	}
	return key, k, nil
}

// RevokeAPIKey revokes a key.
func (s *Service) RevokeAPIKey(ctx context.Context, id string) error {
	return s.store.RevokeAPIKey(ctx, id, s.o.Now())
}

func newToken(prefix string) (token, hash string) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	token = prefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, hashToken(token)
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
