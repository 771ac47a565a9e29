package store_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/store"
)

func TestAuditTrail(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		recs := []store.AuditRecord{
			{ID: "r1", At: t0, Actor: "a1", ActorRole: "agent", Action: "customer.view", SubjectKind: "customer", SubjectID: "cu1", Address: "10.0.0.1"},
			{ID: "r2", At: t0.Add(time.Minute), Actor: "s1", ActorRole: "supervisor", Action: "customer.export", SubjectKind: "customer", SubjectID: "cu2"},
			{ID: "r3", At: t0.Add(2 * time.Minute), Actor: "ad1", ActorRole: "admin", Action: "admin.queue.update", SubjectKind: "queue", SubjectID: "billing",
				Before: json.RawMessage(`{"b":1,"a":"x"}`), After: json.RawMessage(`{"b":2,"a":"y\u0000"}`), Address: "10.0.0.2"},
			{ID: "r4", At: t0.Add(3 * time.Minute), Actor: "a1", ActorRole: "agent", Action: "customer.view", SubjectKind: "customer", SubjectID: "cu2\x00"},
		}
		got, err := s.AppendAudit(ctx, recs...)
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(got); i++ {
			if got[i].Seq <= got[i-1].Seq {
				t.Fatalf("seq not increasing: %+v", got)
			}
		}
		all, err := s.AuditRecords(ctx, store.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 4 || all[0].ID != "r4" || all[3].ID != "r1" {
			t.Fatalf("newest first: got %+v", all)
		}
		// Stored as written (JSON byte for byte, NUL cleaned), on both backends.
		want := recs[2]
		want.Seq = got[2].Seq
		want.After = json.RawMessage(`{"b":2,"a":"y\ufffd"}`)
		if !reflect.DeepEqual(all[1], want) {
			t.Fatalf("got %+v\nwant %+v", all[1], want)
		}
		if all[0].SubjectID != "cu2\uFFFD" || all[3].Before != nil || all[3].After != nil {
			t.Fatalf("got %+v and %+v", all[0], all[3])
		}

		ids := func(f store.AuditFilter) string {
			t.Helper()
			rs, err := s.AuditRecords(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			out := ""
			for _, r := range rs {
				out += r.ID + " "
			}
			return out
		}
		for _, c := range []struct {
			name string
			f    store.AuditFilter
			want string
		}{
			{"subject", store.AuditFilter{SubjectKind: "customer", SubjectID: "cu2"}, "r2 "},
			{"subject kind", store.AuditFilter{SubjectKind: "customer"}, "r4 r2 r1 "},
			{"actor", store.AuditFilter{Actor: "a1"}, "r4 r1 "},
			{"action prefix", store.AuditFilter{ActionPrefix: "admin."}, "r3 "},
			{"action", store.AuditFilter{Action: "customer.view"}, "r4 r1 "},
			{"action prefix is literal", store.AuditFilter{ActionPrefix: "customer_"}, ""},
			{"time", store.AuditFilter{From: t0.Add(time.Minute), To: t0.Add(3 * time.Minute)}, "r3 r2 "},
			{"page", store.AuditFilter{Limit: 2}, "r4 r3 "},
			{"next page", store.AuditFilter{Limit: 2, BeforeSeq: got[2].Seq}, "r2 r1 "},
		} {
			if g := ids(c.f); g != c.want {
				t.Errorf("%s: got %q, want %q", c.name, g, c.want)
			}
		}

		// Appended once: a reused id is a conflict and the batch is not half written.
		_, err = s.AppendAudit(ctx, store.AuditRecord{ID: "r5", At: t0, Actor: "a", Action: "x", SubjectKind: "k"}, recs[0])
		wantErr(t, err, store.ErrConflict)
		if g := ids(store.AuditFilter{}); g != "r4 r3 r2 r1 " {
			t.Fatalf("after a failed batch: %q", g)
		}
		for i, bad := range []store.AuditRecord{
			{At: t0, Actor: "a", Action: "x", SubjectKind: "k"},
			{ID: "b", At: t0, Action: "x", SubjectKind: "k"},
			{ID: "b", At: t0, Actor: "a", SubjectKind: "k"},
			{ID: "b", At: t0, Actor: "a", Action: "x"},
			{ID: "b", Actor: "a", Action: "x", SubjectKind: "k"},
			{ID: "b", At: t0, Actor: "a", Action: "x", SubjectKind: "k", After: json.RawMessage(`{`)},
		} {
			_, err := s.AppendAudit(ctx, bad)
			if err == nil {
				t.Errorf("bad record %d accepted", i)
			}
			wantErr(t, err, store.ErrInvalid)
		}
	})
}

func BenchmarkAppendAudit(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			s := open(b, be.options(b))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				_, err := s.AppendAudit(ctx, store.AuditRecord{ID: fmt.Sprint(i), At: t0, Actor: "a1", ActorRole: "agent",
					Action: "customer.view", SubjectKind: "customer", SubjectID: "cu1"})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
