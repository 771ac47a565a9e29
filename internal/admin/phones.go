package admin

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"net/http"
	"regexp"
	"unicode/utf8"

	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/store"
)

// PhoneView is an agent's phone setting as the API shows it: never the
// stored HA1.
type PhoneView struct {
	AgentID        string `json:"agent_id"`
	Kind           string `json:"kind"` // "", "sip", "browser"
	SIPUser        string `json:"sip_user,omitempty"`
	HasSIPPassword bool   `json:"has_sip_password"`
}

// sipUserPattern: the user part of a SIP URI we hand out (RFC 3261 25.1
// allows more; phones' keypads and config screens do not).
var sipUserPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// minSIPPassword: desk phones are attacked by registration scanners.
const minSIPPassword = 10

func (a *API) phoneRoutes(mux *http.ServeMux, h handle) {
	mux.Handle("GET /api/v1/admin/agents/{id}/phone", h(auth.PermAgentsRead, a.getPhone))
	mux.Handle("PUT /api/v1/admin/agents/{id}/phone", h(auth.PermAgentsManage, a.putPhone))
}

func phoneView(x store.AgentPhone) PhoneView {
	return PhoneView{AgentID: x.AgentID, Kind: x.Kind, SIPUser: x.SIPUser, HasSIPPassword: x.SIPHA1 != ""}
}

func (a *API) getPhone(w http.ResponseWriter, r *http.Request) error {
	ctx, id := r.Context(), r.PathValue("id")
	if _, err := a.o.Store.Agent(ctx, id); err != nil {
		return err
	}
	x, err := a.o.Store.AgentPhone(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		x, err = store.AgentPhone{AgentID: id}, nil
	}
	if err != nil {
		return err
	}
	// The phone is part of the agent: it carries the agent's ETag, and a
	// change moves the agent's version.
	v, err := a.o.Store.Version(ctx, store.VersionedAgents, id)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(v))
	return writeJSON(w, http.StatusOK, phoneView(x))
}

// putPhone sets an agent's phone kind and SIP credentials. The SIP
// password is stored only as HA1 for the configured realm; a new user
// name needs a new password (HA1 covers the user). An empty sip_user
// removes the credentials (the phone can no longer register).
func (a *API) putPhone(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Kind        string `json:"kind"`
		SIPUser     string `json:"sip_user"`
		SIPPassword string `json:"sip_password"`
	}
	if err := a.decode(w, r, &in); err != nil {
		return err
	}
	switch in.Kind {
	case "", "sip", "browser":
	default:
		return badField("kind", "must be sip, browser or empty (the node's default)")
	}
	if in.SIPUser != "" && !sipUserPattern.MatchString(in.SIPUser) {
		return badField("sip_user", "1 to 64 letters, digits, '.', '_' or '-'")
	}
	if in.SIPPassword != "" && utf8.RuneCountInString(in.SIPPassword) < minSIPPassword {
		return badField("sip_password", "at least %d characters", minSIPPassword)
	}
	if in.SIPPassword != "" && in.SIPUser == "" {
		return badField("sip_user", "required with sip_password")
	}
	want, err := ifMatch(r)
	if err != nil {
		return err
	}
	ctx, id := r.Context(), r.PathValue("id")
	realm := a.o.SIPRealm
	if realm == "" {
		realm = "hotline"
	}
	var after store.AgentPhone
	var version int64
	err = a.o.Store.WithTx(ctx, func(tx *store.Store) error {
		var err error
		if version, err = tx.BumpVersion(ctx, store.VersionedAgents, id, want, a.o.Now()); err != nil {
			return err // no such agent (404), or a stale If-Match (409)
		}
		before, err := tx.AgentPhone(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			before, err = store.AgentPhone{AgentID: id}, nil
		}
		if err != nil {
			return err
		}
		after = store.AgentPhone{AgentID: id, Kind: in.Kind, SIPUser: in.SIPUser, UpdatedAt: a.o.Now()}
		switch {
		case in.SIPPassword != "":
			after.SIPRealm, after.SIPHA1 = realm, ha1(in.SIPUser, realm, in.SIPPassword)
		case in.SIPUser != "" && (in.SIPUser != before.SIPUser || before.SIPRealm != realm):
			return badField("sip_password", "required for a new sip_user")
		case in.SIPUser != "":
			after.SIPRealm, after.SIPHA1 = before.SIPRealm, before.SIPHA1
		}
		if _, err := tx.SetAgentPhone(ctx, after); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return &fieldError{Field: "sip_user", Message: "another agent has this sip_user", Status: http.StatusConflict, Code: "already_exists"}
			}
			return err
		}
		// The audit record shows whether the password changed, never it.
		return a.record(ctx, tx, r, change{action: "admin.agent.phone", kind: "agent", id: id,
			before: phoneView(before), aft: struct {
				PhoneView
				PasswordChanged bool `json:"sip_password_changed"`
			}{phoneView(after), in.SIPPassword != ""}})
	})
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(version))
	return writeJSON(w, http.StatusOK, phoneView(after))
}

// ha1 is MD5(user:realm:password) (RFC 2617 3.2.2.2), the only form of a
// SIP password kept: digest authentication needs it, and it opens no
// other realm.
func ha1(user, realm, password string) string {
	sum := md5.Sum([]byte(user + ":" + realm + ":" + password))
	return hex.EncodeToString(sum[:])
}
