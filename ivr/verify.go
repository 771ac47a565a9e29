package ivr

import (
	"context"
	"errors"
	"fmt"
)

// Verification says how the customer a run serves proved who they are.
// Account data (bill, points) and PIN changes need one: a number typed
// into a chat is a claim, never an identity.
type Verification string

// Verification levels; flows see them as the variable `verified_by`.
const (
	VerifiedNone Verification = "none" // a claim at most (a chat)
	VerifiedANI  Verification = "ani"  // the network's calling number (voice)
	VerifiedOTP  Verification = "otp"  // a one-time code sent to the number by SMS
	VerifiedPIN  Verification = "pin"  // the account's service PIN
)

// ErrLimited: too many codes or attempts; try later or ask an agent.
var ErrLimited = errors.New("limit reached")

// Verifier sends one-time codes to a claimed number and checks them
// (agentdesk's chat verifier, over the SMS gateway and the store).
type Verifier interface {
	// SendCode sends a fresh code for the contact to phone, in lang.
	// ErrLimited when the contact or the phone had too many codes.
	SendCode(ctx context.Context, contact, phone, lang string) error
	// CheckCode reports whether code is the contact's current code for
	// phone. Wrong, expired and exhausted codes are (false, nil).
	CheckCode(ctx context.Context, contact, phone, code string) (bool, error)
}

// PINGuard limits service-PIN attempts per account across contacts and
// channels (the store keeps the count).
type PINGuard interface {
	// ReservePIN counts an attempt before the PIN is checked; false when
	// the account is locked (or this attempt locks it). left is how many
	// attempts remain in the window after this one.
	ReservePIN(ctx context.Context, account string) (allowed bool, left int, err error)
	// PINVerified clears the count after a right PIN.
	PINVerified(ctx context.Context, account string) error
}

// VerifiedNotifier is an optional Channel method: the runner tells the
// channel when the customer proved an identity, so the desk can show
// the customer's panel and badge (the chat channel implements it).
type VerifiedNotifier interface {
	Verified(ctx context.Context, level Verification, phone, account string) error
}

// accountDataOps need a verified customer: a chat customer only gets the
// data of the account they proved.
var accountDataOps = map[string]bool{"bill": true, "points": true, "reset_password": true}

// allowAccountData reports whether the run may read or change account's
// data. Voice keeps the calling-number trust it had (level ani, any
// account the caller keys); otp and pin bind the run to one account.
func (ru *run) allowAccountData(account string) bool {
	switch ru.verified {
	case VerifiedANI:
		return true
	case VerifiedOTP, VerifiedPIN:
		return account != "" && account == ru.verifiedAccount
	}
	return false
}

// queueANI is the customer's number for the queue and the contact record:
// a number the customer proved by code, else the contact's ANI (a chat's
// is a token, never the number typed).
func (ru *run) queueANI() string {
	if ru.verifiedPhone != "" {
		return ru.verifiedPhone
	}
	return ru.c.ANI
}

func (ru *run) setVerified(ctx context.Context, level Verification, phone, account string) {
	ru.verified, ru.verifiedAccount = level, account
	if phone != "" {
		ru.verifiedPhone = phone
	}
	ru.vars["verified_by"] = string(level)
	if n, ok := ru.ch.(VerifiedNotifier); ok {
		if err := n.Verified(ctx, level, phone, account); err != nil {
			ru.log.Warn("ivr verified notice", "err", err)
		}
	}
}

// verifyOps are the lookup ops that prove an identity; they run here, not
// through the Backend.
func (ru *run) verifyOp(ctx context.Context, n *Node, args map[string]string) (map[string]any, error) {
	switch n.Op {
	case "send_code":
		v := ru.r.cfg.Verifier
		if v == nil {
			return nil, fmt.Errorf("send_code: no verifier: %w", ErrUnavailable)
		}
		if args["phone"] == "" {
			return nil, fmt.Errorf("send_code: no phone: %w", ErrNotFound)
		}
		err := v.SendCode(ctx, ru.c.ID, args["phone"], ru.lang)
		if errors.Is(err, ErrLimited) {
			return map[string]any{"code_sent": false, "code_limited": true}, nil
		}
		return map[string]any{"code_sent": err == nil, "code_limited": false}, err
	case "check_code":
		v := ru.r.cfg.Verifier
		if v == nil {
			return nil, fmt.Errorf("check_code: no verifier: %w", ErrUnavailable)
		}
		ok, err := v.CheckCode(ctx, ru.c.ID, args["phone"], args["code"])
		if err != nil || !ok {
			return map[string]any{"code_ok": false}, err
		}
		// The proved number names the customer: their account, nothing
		// the customer typed before.
		c, err := ru.r.cfg.Backend.CustomerByANI(ctx, args["phone"])
		if err != nil {
			return map[string]any{"code_ok": false}, err
		}
		ru.setVerified(ctx, VerifiedOTP, args["phone"], c.Account)
		out := customerVars(c)
		out["code_ok"] = true
		return out, nil
	case "verify_password":
		account := args["account"]
		if g := ru.r.cfg.PINGuard; g != nil {
			allowed, left, err := g.ReservePIN(ctx, account)
			if err != nil {
				return nil, err
			}
			if !allowed {
				return map[string]any{"verified": false, "locked": true}, nil
			}
			ok, err := ru.r.cfg.Backend.VerifyPassword(ctx, account, args["password"])
			if err != nil {
				return nil, err
			}
			if !ok {
				return map[string]any{"verified": false, "locked": left <= 0}, nil
			}
			if err := g.PINVerified(ctx, account); err != nil {
				ru.log.Warn("ivr PIN guard clear", "err", err)
			}
		} else {
			ok, err := ru.r.cfg.Backend.VerifyPassword(ctx, account, args["password"])
			if err != nil || !ok {
				return map[string]any{"verified": false}, err
			}
		}
		if ru.verified == VerifiedNone || ru.verified == VerifiedPIN {
			ru.setVerified(ctx, VerifiedPIN, "", account)
		}
		return map[string]any{"verified": true, "locked": false}, nil
	}
	return nil, fmt.Errorf("unknown verify op %q", n.Op)
}
