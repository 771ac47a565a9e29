package ticket

import (
	"context"
	"errors"
	"time"
)

// CustomerView is what a customer sees of a ticket: no staff names, groups,
// priorities, internal notes or SLA internals.
type CustomerView struct {
	Number     string        `json:"number"`
	Type       Type          `json:"type"`
	Status     Status        `json:"status"`
	Subject    string        `json:"subject"`
	CreatedAt  time.Time     `json:"created_at"`
	UpdatedAt  time.Time     `json:"updated_at"`
	Resolution string        `json:"resolution,omitempty"`
	MergedInto string        `json:"merged_into,omitempty"` // the original's number
	Replies    []PublicReply `json:"replies"`
}

// PublicReply is a customer-visible reply as the customer sees it.
type PublicReply struct {
	At   time.Time `json:"at"`
	Body string    `json:"body"`
}

// CustomerStatus looks a ticket up by its number and the customer's phone
// number. A wrong pair is indistinguishable from an unknown number
// (ErrNotFound), so numbers cannot be probed with someone else's phone.
func (s *Service) CustomerStatus(ctx context.Context, number, phone string) (*CustomerView, error) {
	if !ValidNumber(number) {
		return nil, fieldErr("number", "not a ticket number")
	}
	if err := checkPhone("phone", phone); err != nil {
		return nil, err
	}
	var v *CustomerView
	err := s.repo.InTx(ctx, func(tx Tx) error {
		t, err := tx.ByNumber(ctx, number)
		if err != nil {
			return err
		}
		if !samePhone(t.Customer.Phone, phone) {
			return ErrNotFound
		}
		v = &CustomerView{Number: t.Number, Type: t.Type, Status: t.Status, Subject: t.Subject,
			CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, Replies: []PublicReply{}}
		if t.Status == Resolved || t.Status == Visiting || t.Status == Closed {
			v.Resolution = t.Resolution
		}
		if t.MergedInto != 0 {
			o, err := tx.Get(ctx, t.MergedInto)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			if err == nil {
				v.MergedInto = o.Number
			}
		}
		notes, err := tx.Notes(ctx, t.ID)
		if err != nil {
			return err
		}
		for _, n := range notes {
			if n.Kind == Reply {
				v.Replies = append(v.Replies, PublicReply{At: n.At, Body: n.Body})
			}
		}
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		// The bare sentinel: a store's not-found carries details (the
		// number looked for) that a wrong phone's answer would not.
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}
