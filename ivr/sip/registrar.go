package sip

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// Credentials finds the agent behind a SIP user name.
type Credentials interface {
	// SIPUser returns the agent and the HA1 (hex MD5 of user:realm:password,
	// RFC 2617 3.2.2.2) of a SIP user; an error wrapping ErrUnknownUser
	// when there is none.
	SIPUser(ctx context.Context, user string) (agentID, ha1 string, err error)
}

// RegistrarOptions configure the registrar of agents' SIP phones.
type RegistrarOptions struct {
	Realm       string
	Credentials Credentials
	// MinExpires refuses shorter registrations (423, RFC 3261 10.3 step 7);
	// MaxExpires caps longer ones; DefaultExpires applies when the phone
	// asks for none. Defaults 60 s, 2 h, 1 h.
	MinExpires, MaxExpires, DefaultExpires time.Duration
	// Failures wrong credentials from one source address within a minute
	// lock that source out for Lock (REGISTERs get 503 with Retry-After).
	// Defaults 5 and 5 min.
	Failures int
	Lock     time.Duration
	// NonceLifetime: older nonces are answered with a new challenge
	// (stale=true). Default 5 min.
	NonceLifetime time.Duration
	// PerSource REGISTERs one source address may send per second, with
	// bursts of Burst (token bucket); past it REGISTERs get 503 with
	// Retry-After, credentials or not. Defaults 200 and 4 000: an SBC or
	// PBX registering 2 000 phones at once from one address passes.
	PerSource, Burst int
}

// binding is where an agent's phone registered (RFC 3261 10.3).
type binding struct {
	agentID   string
	user      string
	contact   sip.Uri
	source    string // host:port the REGISTER came from
	transport string
	expires   time.Time
}

// registrar keeps the bindings and the digest state. One mutex guards it
// all; no other lock is taken while holding it.
type registrar struct {
	o   RegistrarOptions
	key [32]byte // signs nonces

	mu       sync.Mutex
	bindings map[string]binding // by agent id
	counts   map[string]uint32  // highest nonce-count seen, by nonce
	failures map[string]*failureCount
	limits   registerLimits
}

type failureCount struct {
	n      int
	since  time.Time
	locked time.Time // until
}

func newRegistrar(o RegistrarOptions) *registrar {
	if o.Realm == "" {
		o.Realm = "hotline"
	}
	if o.MinExpires <= 0 {
		o.MinExpires = time.Minute
	}
	if o.MaxExpires <= 0 {
		o.MaxExpires = 2 * time.Hour
	}
	if o.DefaultExpires <= 0 {
		o.DefaultExpires = time.Hour
	}
	if o.Failures <= 0 {
		o.Failures = 5
	}
	if o.Lock <= 0 {
		o.Lock = 5 * time.Minute
	}
	if o.NonceLifetime <= 0 {
		o.NonceLifetime = 5 * time.Minute
	}
	if o.PerSource <= 0 {
		o.PerSource = 200
	}
	if o.Burst <= 0 {
		o.Burst = 4000
	}
	r := &registrar{o: o, bindings: map[string]binding{}, counts: map[string]uint32{}, failures: map[string]*failureCount{},
		limits: newRegisterLimits(o.PerSource, o.Burst)}
	_, _ = rand.Read(r.key[:])
	return r
}

// AttachRegistrar makes the server take REGISTERs of agents' SIP phones
// (digest-authenticated) and returns the Ringer that calls them.
// Until it is called REGISTER gets 405.
func (s *Server) AttachRegistrar(o RegistrarOptions) *Ringer {
	r := newRegistrar(o)
	s.reg.Store(r)
	return &Ringer{s: s}
}

// HA1 is the stored form of a SIP password (RFC 2617 3.2.2.2).
func HA1(user, realm, password string) string {
	sum := md5.Sum([]byte(user + ":" + realm + ":" + password))
	return hex.EncodeToString(sum[:])
}

// nonce is a timestamp and 8 random bytes signed with the registrar's
// key: no nonce table is needed to tell ours from forged or expired ones.
// The random part keeps two challenges in one tick of the clock apart:
// with the timestamp alone two phones challenged at the same instant got
// the same nonce, and the second one's nonce-count 1 looked replayed.
func (r *registrar) nonce(now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixNano()))
	_, _ = rand.Read(b[8:])
	m := hmac.New(sha256.New, r.key[:])
	m.Write(b[:])
	return hex.EncodeToString(b[:]) + hex.EncodeToString(m.Sum(nil)[:16])
}

// checkNonce says whether n is ours and whether it is still fresh.
func (r *registrar) checkNonce(n string, now time.Time) (ours, fresh bool) {
	raw, err := hex.DecodeString(n)
	if err != nil || len(raw) != 32 {
		return false, false
	}
	m := hmac.New(sha256.New, r.key[:])
	m.Write(raw[:16])
	if !hmac.Equal(m.Sum(nil)[:16], raw[16:]) {
		return false, false
	}
	at := time.Unix(0, int64(binary.BigEndian.Uint64(raw[:8])))
	return true, now.Sub(at) <= r.o.NonceLifetime
}

func (r *registrar) challenge(now time.Time, stale bool) sip.Header {
	c := digest.Challenge{Realm: r.o.Realm, Nonce: r.nonce(now), Algorithm: "MD5", QOP: []string{"auth"}, Stale: stale}
	return sip.NewHeader("WWW-Authenticate", c.String())
}

// admit takes a token of the source's REGISTER bucket; first says this
// refusal starts a run of them.
func (r *registrar) admit(src string, now time.Time) (ok, first bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.limits.allow(src, now)
}

// locked says a source is locked out after too many failures.
func (r *registrar) locked(src string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.failures[src]
	return f != nil && now.Before(f.locked)
}

func (r *registrar) failed(src string, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.failures[src]
	if f == nil || now.Sub(f.since) > time.Minute {
		if len(r.failures) > 10000 {
			r.sweepFailures(now)
		}
		f = &failureCount{since: now}
		r.failures[src] = f
	}
	f.n++
	if f.n >= r.o.Failures {
		f.locked = now.Add(r.o.Lock)
	}
}

// sweepFailures drops counts that neither lock nor count any more. Call
// with r.mu held.
func (r *registrar) sweepFailures(now time.Time) {
	for k, f := range r.failures {
		if now.Sub(f.since) > time.Minute && !now.Before(f.locked) {
			delete(r.failures, k)
		}
	}
}

// verdict is what verify made of a digest response.
type verdict int

const (
	wrong    verdict = iota // not the password's response
	valid                   // right, and its nonce-count is new
	replayed                // right, but its nonce-count was used before
)

// verify checks a REGISTER's digest response (RFC 2617 3.2.2.1, qop=auth)
// and that its nonce-count was not used before (replay).
func (r *registrar) verify(c *digest.Credentials, ha1, method string, now time.Time) verdict {
	if c.QOP != "auth" || c.Cnonce == "" || c.Nc <= 0 {
		return wrong
	}
	ha2 := md5.Sum([]byte(method + ":" + c.URI))
	want := md5.Sum([]byte(ha1 + ":" + c.Nonce + ":" + fmt.Sprintf("%08x", c.Nc) + ":" + c.Cnonce + ":" + c.QOP + ":" + hex.EncodeToString(ha2[:])))
	if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(want[:])), []byte(c.Response)) != 1 {
		return wrong
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if uint32(c.Nc) <= r.counts[c.Nonce] {
		return replayed
	}
	if len(r.counts) > 10000 {
		for n := range r.counts {
			if _, fresh := r.checkNonce(n, now); !fresh {
				delete(r.counts, n)
			}
		}
	}
	r.counts[c.Nonce] = uint32(c.Nc)
	return valid
}

func (r *registrar) bind(b binding) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bindings[b.agentID] = b
}

func (r *registrar) unbind(agentID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.bindings, agentID)
}

// lookup returns the agent's live binding.
func (r *registrar) lookup(agentID string, now time.Time) (binding, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.bindings[agentID]
	if ok && !now.Before(b.expires) {
		delete(r.bindings, agentID)
		return binding{}, false
	}
	return b, ok
}

// Registered says whether the agent's SIP phone is registered now.
func (s *Server) Registered(agentID string) bool {
	r := s.reg.Load()
	if r == nil {
		return false
	}
	_, ok := r.lookup(agentID, s.o.Now())
	return ok
}

// onRegister is the registrar (RFC 3261 10.3) with digest authentication.
func (s *Server) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	r := s.reg.Load()
	if r == nil {
		respond(tx, req, 405, "Method Not Allowed", sip.NewHeader("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO"))
		return
	}
	now := s.o.Now()
	src := sourceHost(req.Source())
	if ok, first := r.admit(src, now); !ok {
		if first {
			s.log.Warn("sip register flood: refusing the source's REGISTERs until its rate falls", "source", src,
				"per_second", r.o.PerSource, "burst", r.o.Burst)
		}
		s.m.registerRefused("rate_limited")
		respond(tx, req, 503, "Service Unavailable", s.retryAfter())
		return
	}
	if r.locked(src, now) {
		s.m.registerRefused("locked_out")
		respond(tx, req, 503, "Service Unavailable", s.retryAfter())
		return
	}
	to := req.To()
	if to == nil || to.Address.User == "" {
		respond(tx, req, 400, "Bad Request")
		return
	}
	user := to.Address.User
	h := req.GetHeader("Authorization")
	if h == nil {
		respond(tx, req, 401, "Unauthorized", r.challenge(now, false))
		return
	}
	cred, err := digest.ParseCredentials(h.Value())
	if err != nil || cred.Username != user || cred.Realm != r.o.Realm {
		r.failed(src, now)
		s.m.registerRefused("bad_credentials")
		respond(tx, req, 403, "Forbidden")
		return
	}
	ours, fresh := r.checkNonce(cred.Nonce, now)
	if !ours {
		r.failed(src, now)
		s.m.registerRefused("bad_credentials")
		respond(tx, req, 401, "Unauthorized", r.challenge(now, false))
		return
	}
	if !fresh {
		respond(tx, req, 401, "Unauthorized", r.challenge(now, true))
		return
	}
	agentID, ha1, err := r.o.Credentials.SIPUser(context.Background(), user)
	if err != nil && !errors.Is(err, ErrUnknownUser) {
		s.log.Warn("sip credentials", "user", user, "err", err)
		respond(tx, req, 500, "Server Internal Error")
		return
	}
	v := wrong
	if err == nil {
		v = r.verify(cred, ha1, string(req.Method), now)
	}
	switch v {
	case replayed:
		// The password's response, with a nonce-count used before: a
		// copy of an earlier REGISTER (someone who saw it pass), or a
		// phone that counts wrong. Neither gets a binding; a fresh
		// challenge (stale=true, RFC 2617 3.2.1: the digest was right)
		// lets a real phone answer again without asking its user, and
		// is no failure: a copy sent from the phone's own address must
		// not lock the phone out.
		s.m.registerRefused("replayed")
		s.log.Info("sip register replayed", "user", user, "source", src)
		respond(tx, req, 401, "Unauthorized", r.challenge(now, true))
		return
	case wrong:
		r.failed(src, now)
		s.m.registerRefused("bad_credentials")
		s.log.Info("sip register refused", "user", user, "source", src)
		respond(tx, req, 403, "Forbidden")
		return
	}
	contact := req.Contact()
	if contact == nil {
		// No Contact: a query of the bindings, which change nothing
		// (RFC 3261 10.2.3, 10.3 step 6). It used to unregister.
		res := sip.NewResponseFromRequest(req, 200, "OK", nil)
		if b, ok := r.lookup(agentID, now); ok {
			left := int(b.expires.Sub(now) / time.Second)
			c := &sip.ContactHeader{Address: b.contact, Params: sip.NewParams()}
			c.Params.Add("expires", strconv.Itoa(left))
			res.AppendHeader(c)
		}
		_ = tx.Respond(res)
		return
	}
	expires := registerExpires(req, contact, r.o.DefaultExpires)
	if contact.Address.Wildcard && expires != 0 {
		// Contact: * only with Expires: 0 (RFC 3261 10.3 step 6).
		respond(tx, req, 400, "Bad Request", sip.NewHeader("Warning", `399 hotline "Contact * needs Expires: 0"`))
		return
	}
	if contact.Address.Wildcard || expires == 0 {
		r.unbind(agentID)
		respond(tx, req, 200, "OK")
		s.log.Info("sip phone unregistered", "agent_id", agentID)
		return
	}
	if expires < r.o.MinExpires {
		respond(tx, req, 423, "Interval Too Brief", sip.NewHeader("Min-Expires", strconv.Itoa(int(r.o.MinExpires/time.Second))))
		return
	}
	expires = min(expires, r.o.MaxExpires)
	r.bind(binding{agentID: agentID, user: user, contact: contact.Address, source: req.Source(), transport: req.Transport(),
		expires: now.Add(expires)})
	c := &sip.ContactHeader{DisplayName: contact.DisplayName, Address: contact.Address, Params: sip.NewParams()}
	c.Params.Add("expires", strconv.Itoa(int(expires/time.Second)))
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	res.AppendHeader(c)
	res.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(expires/time.Second))))
	if err := tx.Respond(res); err != nil {
		s.log.Debug("sip register response", "err", err)
	}
	s.log.Info("sip phone registered", "agent_id", agentID, "source", req.Source(), "expires", expires)
}

// maxExpiresSeconds bounds the Expires a phone may ask for before it is
// capped (phones.max_expires): 2^31-1 s (68 years) keeps the Duration
// from overflowing. Before, Expires: 10000000000 overflowed to a negative
// Duration and got 423 Interval Too Brief.
const maxExpiresSeconds = math.MaxInt32

// registerExpires is the registration the REGISTER asks for: the
// Contact's expires parameter, else the Expires header, else def (RFC
// 3261 10.2.1.1); values that are no non-negative integer are ignored.
func registerExpires(req *sip.Request, contact *sip.ContactHeader, def time.Duration) time.Duration {
	seconds := func(v string) (time.Duration, bool) {
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return 0, false
		}
		return time.Duration(min(n, maxExpiresSeconds)) * time.Second, true
	}
	expires := def
	if e := req.GetHeader("Expires"); e != nil {
		if d, ok := seconds(e.Value()); ok {
			expires = d
		}
	}
	if contact != nil && contact.Params != nil {
		if v, ok := contact.Params.Get("expires"); ok {
			if d, ok := seconds(v); ok {
				expires = d
			}
		}
	}
	return expires
}
