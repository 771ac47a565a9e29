package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/admin"
	"github.com/hotline10000/hotline/internal/audit"
	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/httpapi"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/ivr/media"
	"github.com/hotline10000/hotline/ivr/sip"
)

// actionRecordingPlay: a call recording was played or downloaded.
const actionRecordingPlay = "recording.play"

// callRecorder records bridged calls to stereo WAV files under the data
// directory (recordings/YYYY/MM/DD/), each linked to its contact in the
// store.
type callRecorder struct {
	store   *store.Store
	dataDir string
	log     *slog.Logger
	// queues, when set, are the only queues whose calls are recorded
	// (phones.record_queues): the default of queues whose own record
	// setting is unset (administration); engine tells a contact's queue.
	queues map[string]bool
	engine *acd.Engine
}

// recorded reports whether calls of queue are recorded: the queue's own
// setting, else phones.record_queues. Read from the store per recorded
// call, so a change made on any node applies to the next call.
func (c callRecorder) recorded(ctx context.Context, queue string) bool {
	def := len(c.queues) == 0 || c.queues[queue]
	raw, err := c.store.QueueRouting(ctx, queue)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			c.log.Warn("queue's record setting unread; phones.record_queues applies", "queue", queue, "err", err)
		}
		return def
	}
	rt, err := admin.ParseRouting(raw)
	if err != nil {
		return def
	}
	return rt.Recorded(def)
}

func (c callRecorder) Record(ctx context.Context, contactID, agentID string) (sip.Recording, error) {
	if agentID != "" && c.engine != nil {
		st, err := c.engine.Contact(ctx, contactID)
		if err == nil && !c.recorded(ctx, st.Queue) {
			return nil, nil // this queue's calls are not recorded
		}
	}
	now := time.Now().UTC()
	rel := filepath.Join("recordings", now.Format("2006/01/02"), filepath.Base(contactID)+"-"+now.Format("150405.000")+".wav")
	path := filepath.Join(c.dataDir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("recording dir: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	w, err := media.NewStereoWAV(f, time.Now)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	row, err := c.store.CreateRecording(ctx, store.Recording{ContactID: contactID, AgentID: agentID, Path: rel, StartedAt: now})
	if err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return nil, err
	}
	return &fileRecording{StereoWAV: w, f: f, c: c, id: row.ID}, nil
}

type fileRecording struct {
	*media.StereoWAV
	f  *os.File
	c  callRecorder
	id string
}

func (r *fileRecording) Close() error {
	err := r.StereoWAV.Close()
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	if ferr := r.c.store.FinishRecording(context.Background(), r.id, r.Duration()); err == nil {
		err = ferr
	}
	return err
}

// recordingRoutes serves recordings: the list of a contact's, and the WAV
// itself to supervisors and to the agent of the call. Each play is in the
// audit trail first; without the record nothing is served.
func recordingRoutes(mux *http.ServeMux, a *auth.Service, st *store.Store, trail *audit.Log, clientAddr func(*http.Request) string, dataDir string) {
	mux.Handle("GET /api/v1/contacts/{id}/recordings", a.Require(auth.PermDesk, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		recs, err := st.ContactRecordings(r.Context(), r.PathValue("id"))
		if err != nil {
			httpapi.WriteError(w, http.StatusServiceUnavailable, "unavailable", "recordings: store unavailable")
			return
		}
		p, _ := auth.PrincipalFrom(r.Context())
		type item struct {
			ID         string    `json:"id"`
			AgentID    string    `json:"agent_id"`
			StartedAt  time.Time `json:"started_at"`
			DurationMS int64     `json:"duration_ms"`
		}
		out := []item{}
		for _, x := range recs {
			if p.Can(auth.PermSupervise) || x.AgentID == p.AgentID || x.AgentID == "" {
				out = append(out, item{ID: x.ID, AgentID: x.AgentID, StartedAt: x.StartedAt, DurationMS: x.Duration.Milliseconds()})
			}
		}
		httpapi.WriteJSON(w, http.StatusOK, map[string]any{"recordings": out})
	})))
	mux.Handle("GET /api/v1/recordings/{id}", a.Require(auth.PermDesk, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		x, err := st.Recording(r.Context(), id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			httpapi.WriteError(w, http.StatusNotFound, "not_found", "id: no such recording")
			return
		case err != nil:
			httpapi.WriteError(w, http.StatusServiceUnavailable, "unavailable", "recording: store unavailable")
			return
		}
		p, _ := auth.PrincipalFrom(r.Context())
		// A voice message (no agent) belongs to the ticket it was filed
		// with, which any desk agent may work.
		if !p.Can(auth.PermSupervise) && x.AgentID != p.AgentID && x.AgentID != "" {
			httpapi.WriteError(w, http.StatusForbidden, "forbidden", "only supervisors and the call's agent play a recording")
			return
		}
		via, _ := json.Marshal(map[string]string{"contact_id": x.ContactID})
		rec := audit.Record{Action: actionRecordingPlay, SubjectKind: audit.KindContact, SubjectID: x.ContactID, After: via}.By(p, clientAddr(r))
		if _, err := trail.Append(r.Context(), rec); err != nil {
			httpapi.WriteError(w, http.StatusServiceUnavailable, "unavailable", "recording: audit trail unavailable")
			return
		}
		if strings.Contains(x.Path, "..") {
			httpapi.WriteError(w, http.StatusNotFound, "not_found", "id: no such recording")
			return
		}
		f, err := os.Open(filepath.Join(dataDir, x.Path))
		if err != nil {
			httpapi.WriteError(w, http.StatusNotFound, "not_found", "id: recording file missing")
			return
		}
		defer f.Close()
		w.Header().Set("Content-Type", "audio/wav")
		http.ServeContent(w, r, filepath.Base(x.Path), x.StartedAt, f)
	})))
}

// recordQueues is the set of phones.record_queues; nil: every queue.
func recordQueues(ids []string) map[string]bool {
	if len(ids) == 0 {
		return nil
	}
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}
