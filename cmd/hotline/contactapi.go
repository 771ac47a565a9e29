package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/hotline10000/hotline/internal/audit"
	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/httpapi"
	"github.com/hotline10000/hotline/internal/store"
)

// contactRecord is GET /api/v1/contacts/{id}: a contact as the store keeps
// it, with its chat transcript (masked input shows as dots, as in the chat).
type contactRecord struct {
	ID         string     `json:"id"`
	Channel    string     `json:"channel"`
	CustomerID string     `json:"customer_id,omitempty"`
	ANI        string     `json:"ani,omitempty"`
	EntryPoint string     `json:"entry_point,omitempty"`
	QueueID    string     `json:"queue_id,omitempty"`
	AgentID    string     `json:"agent_id,omitempty"`
	StartedAt  time.Time  `json:"started_at"`
	QueuedAt   *time.Time `json:"queued_at,omitempty"`
	AnsweredAt *time.Time `json:"answered_at,omitempty"`
	EndedAt    *time.Time `json:"ended_at,omitempty"`
	Outcome    string     `json:"outcome,omitempty"`
	// Holds and HoldMS: the times an agent put the contact on hold and
	// their total length in milliseconds.
	Holds  int   `json:"holds"`
	HoldMS int64 `json:"hold_ms"`
	// Verified: how the customer proved who they are — otp or pin (a
	// chat's code or service PIN), ani (a call: the network's number),
	// none (a chat's typed number is a claim) — and when, if recorded.
	Verified   string           `json:"verified,omitempty"`
	VerifiedAt *time.Time       `json:"verified_at,omitempty"`
	Transcript []transcriptLine `json:"transcript"`
}

type transcriptLine struct {
	Seq      int       `json:"seq"`
	From     string    `json:"from"` // customer, agent, bot, system
	SenderID string    `json:"sender_id,omitempty"`
	Text     string    `json:"text"`
	At       time.Time `json:"at"`
}

// contactRoutes serves the contact record to supervisors. Each read is
// recorded in the audit trail first (the contact, and its customer when
// known); without the record the contact is not shown.
func contactRoutes(mux *http.ServeMux, a *auth.Service, st *store.Store, trail *audit.Log, clientAddr func(*http.Request) string) {
	mux.Handle("GET /api/v1/contacts/{id}", a.Require(auth.PermSupervise, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		c, err := st.Contact(r.Context(), id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			httpapi.WriteError(w, http.StatusNotFound, "not_found", "id: no such contact")
			return
		case err != nil:
			httpapi.WriteError(w, http.StatusServiceUnavailable, "unavailable", "contact: store unavailable")
			return
		}
		p, _ := auth.PrincipalFrom(r.Context())
		via, _ := json.Marshal(map[string]string{"via": "contact_record", "contact_id": id})
		recs := []audit.Record{audit.Record{Action: audit.ActionContactView, SubjectKind: audit.KindContact, SubjectID: id, After: via}.By(p, clientAddr(r))}
		if c.CustomerID != "" {
			recs = append(recs, audit.Record{Action: audit.ActionCustomerView, SubjectKind: audit.KindCustomer, SubjectID: c.CustomerID, After: via}.By(p, clientAddr(r)))
		}
		if _, err := trail.Append(r.Context(), recs...); err != nil {
			httpapi.WriteError(w, http.StatusServiceUnavailable, "unavailable", "contact: audit trail unavailable")
			return
		}
		texts, err := st.Transcripts(r.Context(), id)
		if err != nil {
			httpapi.WriteError(w, http.StatusServiceUnavailable, "unavailable", "transcript: store unavailable")
			return
		}
		rec := contactRecord{ID: c.ID, Channel: string(c.Channel), CustomerID: c.CustomerID, ANI: c.ANI,
			EntryPoint: c.EntryPoint, QueueID: c.QueueID, AgentID: c.AgentID, StartedAt: c.StartedAt,
			QueuedAt: c.QueuedAt, AnsweredAt: c.AnsweredAt, EndedAt: c.EndedAt, Outcome: string(c.Outcome),
			Holds: c.Holds, HoldMS: c.Hold.Milliseconds(), Transcript: []transcriptLine{}}
		v, err := st.ContactVerificationOf(r.Context(), id)
		switch {
		case err == nil:
			rec.Verified, rec.VerifiedAt = v.Level, &v.At
		case !errors.Is(err, store.ErrNotFound):
			httpapi.WriteError(w, http.StatusServiceUnavailable, "unavailable", "verification: store unavailable")
			return
		case c.Channel == store.Chat:
			rec.Verified = "none"
		case c.Channel == store.Voice:
			rec.Verified = "ani"
		}
		for _, m := range texts[id] {
			rec.Transcript = append(rec.Transcript, transcriptLine{Seq: m.Seq, From: string(m.Sender), SenderID: m.SenderID, Text: m.Text, At: m.At})
		}
		httpapi.WriteJSON(w, http.StatusOK, rec)
	})))
}
