package agentdesk

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"

	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/mask"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/ivr"
)

// A chat customer is whoever they type: the pre-chat form's phone is a
// claim. This file holds what follows from that — the one-time codes that
// prove a claimed number, the chat's verification state, and the masking
// of phone and ID numbers on the desk.

// CodeOptions tune the chat's one-time codes (OTP). Zero values take the
// defaults.
type CodeOptions struct {
	TTL         time.Duration // a code is valid this long; default 5m
	Attempts    int           // wrong codes before a code is void; default 3
	PerContact  int           // codes one chat may ask for; default 3
	PerPhone    int           // codes one number gets per PhoneWindow, across chats; default 5
	PhoneWindow time.Duration // default 1h
}

func (o *CodeOptions) defaults() {
	if o.TTL <= 0 {
		o.TTL = 5 * time.Minute
	}
	if o.Attempts <= 0 {
		o.Attempts = 3
	}
	if o.PerContact <= 0 {
		o.PerContact = 3
	}
	if o.PerPhone <= 0 {
		o.PerPhone = 5
	}
	if o.PhoneWindow <= 0 {
		o.PhoneWindow = time.Hour
	}
}

// codeVerifier is the chat runs' ivr.Verifier: codes go by SMS through
// the ticket desk's SMS adapter and are kept in the store only as
// argon2id hashes.
//
// The code is handed to the SMS Notifier directly rather than queued in
// the ticket outbox: the outbox keeps message bodies in clear until
// delivered (and belongs to tickets), and a code retried after its expiry
// is worthless. The Notifier is the same adapter (notify.Router's SMS
// gateway) the courier uses.
type codeVerifier struct {
	st     *store.Store
	sms    ticket.Notifier
	hasher ivr.PasswordHasher
	clock  Clock
	o      CodeOptions
}

var _ ivr.Verifier = (*codeVerifier)(nil)

func (v *codeVerifier) SendCode(ctx context.Context, contact, phone, lang string) error {
	now := v.clock.Now()
	prev, err := v.st.VerificationCodeOf(ctx, contact)
	switch {
	case err == nil && prev.Sends >= v.o.PerContact:
		return fmt.Errorf("code for %s: %d sent: %w", contact, prev.Sends, ivr.ErrLimited)
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return err
	}
	n, err := v.st.VerificationCodesSince(ctx, phone, now.Add(-v.o.PhoneWindow))
	if err != nil {
		return err
	}
	if n >= v.o.PerPhone {
		return fmt.Errorf("codes to the number: %w", ivr.ErrLimited)
	}
	// A number that is no customer's gets no SMS, and the chat is not told
	// (no oracle of who is a customer): its code just never matches.
	if _, err := v.st.CustomerByANI(ctx, phone); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	}
	code, err := newCode()
	if err != nil {
		return err
	}
	hash, err := v.hasher.Hash(code)
	if err != nil {
		return fmt.Errorf("hash code: %w", err)
	}
	if err := v.st.PutVerificationCode(ctx, store.VerificationCode{Contact: contact, Phone: phone, CodeHash: hash,
		ExpiresAt: now.Add(v.o.TTL), CreatedAt: now}); err != nil {
		return err
	}
	mins := int(v.o.TTL / time.Minute)
	body := fmt.Sprintf("【10000】您的验证码是%s，%d分钟内有效，请勿告诉他人。", code, mins)
	if lang == "en" {
		body = fmt.Sprintf("10000: your verification code is %s, valid for %d minutes. Do not share it.", code, mins)
	}
	sends := prev.Sends + 1
	if _, err := v.sms.Notify(ctx, ticket.Message{Key: fmt.Sprintf("otp:%s:%d", contact, sends), Medium: ticket.BySMS,
		To: phone, Body: body, CreatedAt: now}); err != nil {
		// The error of an SMS adapter may quote its request: never the code.
		return fmt.Errorf("send code to the customer: %w", errors.New(strings.ReplaceAll(err.Error(), code, "******")))
	}
	return nil
}

func (v *codeVerifier) CheckCode(ctx context.Context, contact, phone, code string) (bool, error) {
	c, err := v.st.VerificationCodeOf(ctx, contact)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if c.Phone != phone || !v.clock.Now().Before(c.ExpiresAt) {
		return false, nil
	}
	// Counted before the check, so parallel tries cannot overtake it.
	n, err := v.st.CountVerificationAttempt(ctx, contact)
	if err != nil {
		return false, err
	}
	if n > v.o.Attempts {
		return false, nil
	}
	if !v.hasher.Verify(code, c.CodeHash) {
		return false, nil
	}
	return true, v.st.DeleteVerificationCode(ctx, contact)
}

// newCode returns six random digits.
func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("code: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// chatVerified records what the flow proved about the chat's customer
// (runs on the hub) and tells the agent holding the chat.
func (h *hub) chatVerified(c *chat, m ivr.ChatMessage) {
	c.verified, c.verifiedPhone, c.verifiedAccount = m.Verified, m.Phone, m.Account
	h.keep(c)
	if c.agent != "" {
		h.toAgent(c.agent, "chat.verified", map[string]string{"contact_id": c.id, "verified": string(m.Verified)})
	}
}

// verifiedBy is the chat's verification level for the desk.
func (c *chat) verifiedBy() string {
	if c.verified == "" {
		return string(ivr.VerifiedNone)
	}
	return string(c.verified)
}

// phoneSpacing drops the spaces and dashes people type in a number. It is
// built once: a Replacer built per call cost 6 KB each time (a chat's
// number is cleaned at every offer and answer).
var phoneSpacing = strings.NewReplacer(" ", "", "-", "")

// customerNumber is the customer's number as the center knows it: the
// proved one, else the number the form claimed (for its tier only).
func (c *chat) customerNumber() string {
	if c.verifiedPhone != "" {
		return c.verifiedPhone
	}
	return phoneSpacing.Replace(c.info.Phone)
}

// agentInfo is the pre-chat form as an agent may see it: the claimed
// number masked until the customer proved it.
func (c *chat) agentInfo() CustomerInfo {
	info := c.info
	info.ANI = ""
	if c.verifiedBy() == string(ivr.VerifiedNone) {
		info.Phone = MaskPhone(phoneSpacing.Replace(info.Phone))
	}
	return info
}

// agentVars are the flow's variables as an agent may see them: numbers
// masked unless the customer proved them; never a secret.
func (c *chat) agentVars(supervisor bool) map[string]string {
	if c.vars == nil {
		return nil
	}
	out := make(map[string]string, len(c.vars))
	for k, v := range c.vars {
		out[k] = v
		if supervisor {
			continue
		}
		switch {
		case idNumber.MatchString(v):
			out[k] = MaskID(v)
		case phoneVars[k] && isDigits(v) && c.verifiedBy() == string(ivr.VerifiedNone):
			out[k] = MaskPhone(v)
		}
	}
	return out
}

var phoneVars = map[string]bool{"phone": true, "contact_phone": true, "ani": true}

func isDigits(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }

// idNumber matches a mainland resident ID number (18 characters).
var idNumber = regexp.MustCompile(`^\d{17}[\dXx]$`)

// MaskPhone keeps the first three and last four digits of a number
// ("139****0001"), as package mask does everywhere.
func MaskPhone(p string) string { return mask.Phone(p) }

// MaskID keeps the first and last four characters of an ID number.
func MaskID(id string) string { return mask.ID(id) }

// pinUnlocker clears an account's PIN lock (storeaccounts.PINGuard).
type pinUnlocker interface {
	Unlock(ctx context.Context, account string) error
}

// unlockPIN lifts the service-PIN lock of the chat's customer. Only for a
// customer the chat proved (by SMS code) and the agent holding the chat,
// or a supervisor.
func (d *deskClient) unlockPIN(ctx context.Context, contact string) (any, *Error) {
	u, ok := d.g.o.PINGuard.(pinUnlocker)
	if !ok {
		return nil, failf(CodeUnavailable, "no PIN guard")
	}
	me := d.p.AgentID
	var account string
	var found, allowed bool
	var level string
	err := d.g.do(func(h *hub) {
		c := h.chats[contact]
		if c == nil {
			return
		}
		found = true
		allowed = c.agent == me || d.p.Can(auth.PermSupervise)
		account, level = c.verifiedAccount, c.verifiedBy()
	})
	switch {
	case err != nil:
		return nil, failf(CodeUnavailable, err.Error())
	case !found:
		return nil, failf(CodeNotFound, "no such contact")
	case !allowed:
		return nil, failf(CodeForbidden, "not your contact")
	case level != string(ivr.VerifiedOTP) && level != string(ivr.VerifiedANI) || account == "":
		return nil, failf(CodeConflict, "the customer has not proved the number (verified: "+level+")")
	}
	if err := u.Unlock(ctx, account); err != nil {
		return nil, failf(CodeUnavailable, "unlock: "+err.Error())
	}
	d.g.log.Info("service PIN unlocked by the desk", "contact_id", contact, "agent_id", me)
	return map[string]string{"account": account}, nil
}
