package admin

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/httpapi"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/ivr"
	"github.com/hotline10000/hotline/ivr/flowtest"
)

// Flows is the node's IVR flow set as administration swaps it
// (cmd/hotline's flow set).
type Flows interface {
	// Check loads fsys as the node would serve it (with its calendars),
	// installing nothing: a *ivr.LoadError lists every problem as
	// file:line. A nil fsys is the configured flows.
	Check(fsys fs.FS) (*ivr.Library, error)
	// Install loads fsys and makes it the flows new contacts run (nil: the
	// configured flows); contacts in a flow finish on the flows they began
	// with. source names it in logs and in the flows list.
	Install(fsys fs.FS, source string) error
	// Source names what serves now.
	Source() string
}

// Limits of an uploaded flow set (a zip of a flow directory).
const (
	maxFlowArchive  = 32 << 20 // bytes uploaded
	maxFlowUnpacked = 64 << 20 // bytes of all files unpacked
	maxFlowFiles    = 2000
)

// TestResult is what `hotline flow test` says about an uploaded set.
type TestResult struct {
	Passed int    `json:"passed"`
	Failed int    `json:"failed"`
	Output string `json:"output"` // one line per test, as the command writes them
	Error  string `json:"error,omitempty"`
}

// FlowSetView is an uploaded flow set.
type FlowSetView struct {
	Version    int64       `json:"version"`
	Digest     string      `json:"sha256"`
	Flows      []string    `json:"flows"`
	Note       string      `json:"note"`
	Tests      *TestResult `json:"tests,omitempty"`
	UploadedBy string      `json:"uploaded_by"`
	UploadedAt time.Time   `json:"uploaded_at"`
	Active     bool        `json:"active"`
}

func (v FlowSetView) etagVersion() int64 { return v.Version }

// ActiveView says which flow set serves.
type ActiveView struct {
	Version     int64     `json:"version"`  // 0: the configured flows
	Previous    int64     `json:"previous"` // what a rollback activates (0: the configured flows)
	ActivatedBy string    `json:"activated_by,omitempty"`
	ActivatedAt time.Time `json:"activated_at,omitzero"`
	Serving     string    `json:"serving,omitempty"` // the node's source now
}

func (a *API) flowRoutes(mux *http.ServeMux, h handle) {
	mux.Handle("GET /api/v1/admin/flows", h(auth.PermConfigure, a.listFlowSets))
	mux.Handle("POST /api/v1/admin/flows", h(auth.PermConfigure, a.uploadFlowSet))
	mux.Handle("GET /api/v1/admin/flows/{version}", h(auth.PermConfigure, a.getFlowSet))
	mux.Handle("GET /api/v1/admin/flows/{version}/archive", h(auth.PermConfigure, a.downloadFlowSet))
	mux.Handle("POST /api/v1/admin/flows/{version}/activate", h(auth.PermConfigure, a.activateFlowSet))
	mux.Handle("POST /api/v1/admin/flows/rollback", h(auth.PermConfigure, a.rollbackFlowSet))
}

// FlowArchiveFS opens a zip of a flow directory as the directory: the
// flow files at the top, or inside the one folder the zip holds. Names
// that leave the directory, absurd sizes and too many files are refused.
func FlowArchiveFS(b []byte) (fs.FS, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("not a zip archive: %w", err)
	}
	if len(zr.File) > maxFlowFiles {
		return nil, fmt.Errorf("%d files; at most %d", len(zr.File), maxFlowFiles)
	}
	var total uint64
	tops := map[string]bool{}
	rootFiles := false
	for _, f := range zr.File {
		name := strings.TrimSuffix(f.Name, "/")
		if strings.Contains(f.Name, `\`) || !fs.ValidPath(name) {
			return nil, fmt.Errorf("%q: not a path inside the flow directory", f.Name)
		}
		total += f.UncompressedSize64
		if total > maxFlowUnpacked {
			return nil, fmt.Errorf("more than %d MiB unpacked", maxFlowUnpacked>>20)
		}
		top, _, nested := strings.Cut(name, "/")
		switch {
		case nested || f.FileInfo().IsDir():
			tops[top] = true
		case !strings.HasPrefix(top, "."):
			rootFiles = true
		}
	}
	if !rootFiles && len(tops) == 1 {
		for top := range tops {
			return fs.Sub(zr, top)
		}
	}
	return zr, nil
}

// flowSetView is the API's form of a stored flow set.
func flowSetView(f store.FlowSet, active int64) FlowSetView {
	v := FlowSetView{Version: f.Version, Digest: f.Digest, Flows: f.Flows, Note: f.Note, UploadedBy: f.UploadedBy,
		UploadedAt: f.UploadedAt, Active: f.Version == active}
	if v.Flows == nil {
		v.Flows = []string{}
	}
	if f.Tests != "" {
		var tr TestResult
		if json.Unmarshal([]byte(f.Tests), &tr) == nil {
			v.Tests = &tr
		}
	}
	return v
}

func (a *API) flowSetView(ctx context.Context, st *store.Store, id string) (FlowSetView, error) {
	v, err := strconv.ParseInt(id, 10, 64)
	if err != nil || v < 1 {
		return FlowSetView{}, store.ErrNotFound
	}
	f, err := st.FlowSet(ctx, v)
	if err != nil {
		return FlowSetView{}, err
	}
	act, err := st.ActiveFlowSet(ctx)
	if err != nil {
		return FlowSetView{}, err
	}
	return flowSetView(f, act.Version), nil
}

func (a *API) activeView(ctx context.Context, st *store.Store) (ActiveView, error) {
	act, err := st.ActiveFlowSet(ctx)
	if err != nil {
		return ActiveView{}, err
	}
	v := ActiveView{Version: act.Version, Previous: act.Previous, ActivatedBy: act.ActivatedBy, ActivatedAt: act.ActivatedAt}
	if a.o.Flows != nil {
		v.Serving = a.o.Flows.Source()
	}
	return v, nil
}

func (a *API) listFlowSets(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	_, limit, err := page(r)
	if err != nil {
		return err
	}
	var before int64
	if s := r.URL.Query().Get("after"); s != "" {
		if before, err = strconv.ParseInt(s, 10, 64); err != nil || before < 1 {
			return badField("after", "a version number (the next of the previous page)")
		}
	}
	act, err := a.activeView(ctx, a.o.Store)
	if err != nil {
		return err
	}
	sets, err := a.o.Store.FlowSets(ctx, before, limit+1)
	if err != nil {
		return err
	}
	out := struct {
		Active   ActiveView    `json:"active"`
		Versions []FlowSetView `json:"versions"`
		Next     string        `json:"next,omitempty"`
	}{Active: act, Versions: []FlowSetView{}}
	for i, f := range sets {
		if i == limit {
			out.Next = strconv.FormatInt(sets[i-1].Version, 10)
			break
		}
		out.Versions = append(out.Versions, flowSetView(f, act.Version))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) getFlowSet(w http.ResponseWriter, r *http.Request) error {
	return getOne(w, r, a.o.Store, func(ctx context.Context, st *store.Store, id string) (FlowSetView, error) {
		return a.flowSetView(ctx, st, r.PathValue("version"))
	})
}

func (a *API) downloadFlowSet(w http.ResponseWriter, r *http.Request) error {
	v, err := strconv.ParseInt(r.PathValue("version"), 10, 64)
	if err != nil || v < 1 {
		return store.ErrNotFound
	}
	b, err := a.o.Store.FlowSetArchive(r.Context(), v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="flows-v%d.zip"`, v))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return nil
}

// writeProblems answers a flow set that does not load: 422 listing every
// problem as `hotline flow validate` prints it.
func writeProblems(w http.ResponseWriter, msg string, err error) error {
	problems := []string{err.Error()}
	var le *ivr.LoadError
	if errors.As(err, &le) {
		problems = problems[:0]
		for _, p := range le.Problems {
			problems = append(problems, p.Error())
		}
	}
	httpapi.WriteJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"error":    httpapi.ErrorDetail{Code: "invalid_flows", Message: msg},
		"problems": problems,
	})
	return nil
}

// uploadFlowSet stores a zip of a flow directory as the next version when
// every file of it is valid (nothing is stored otherwise), with the
// result of its flow tests. It does not serve until activated.
func (a *API) uploadFlowSet(w http.ResponseWriter, r *http.Request) error {
	if a.o.Flows == nil {
		return fmt.Errorf("upload flow set: no flow set to check against")
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/zip" {
		return &fieldError{Field: "Content-Type", Status: http.StatusUnsupportedMediaType, Code: "invalid_request",
			Message: "send the flow directory as application/zip"}
	}
	note := r.URL.Query().Get("note")
	if utf8.RuneCountInString(note) > 500 || !utf8.ValidString(note) {
		return badField("note", "at most 500 characters")
	}
	key, done, err := replay(a, w, r, "flowset", a.flowSetView)
	if done || err != nil {
		return err
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFlowArchive))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &fieldError{Status: http.StatusRequestEntityTooLarge, Code: "invalid_request",
				Message: fmt.Sprintf("a flow set is at most %d MiB zipped", maxFlowArchive>>20)}
		}
		return err
	}
	fsys, err := FlowArchiveFS(b)
	if err != nil {
		return &fieldError{Field: "body", Message: err.Error(), Code: "invalid_request"}
	}
	lib, err := a.o.Flows.Check(fsys)
	if err != nil {
		return writeProblems(w, "flow set refused: nothing was stored", err)
	}
	// The flow tests, as `hotline flow test` runs them: shown, not required.
	var tr *TestResult
	if _, err := fs.Stat(fsys, flowtest.TestsDir); err == nil {
		var out strings.Builder
		p, f, err := flowtest.RunDir(fsys, ".", &out)
		tr = &TestResult{Passed: p, Failed: f, Output: out.String()}
		if err != nil {
			tr.Error = err.Error()
		}
	}
	sum := sha256.Sum256(b)
	fset := store.FlowSet{Digest: hex.EncodeToString(sum[:]), Flows: lib.Flows(), Note: note,
		UploadedBy: actor(r), UploadedAt: a.o.Now()}
	if tr != nil {
		fset.Tests = string(raw(tr))
	}
	ctx := r.Context()
	var view FlowSetView
	err = a.o.Store.WithTx(ctx, func(tx *store.Store) error {
		v, err := tx.AddFlowSet(ctx, fset, b)
		if err != nil {
			return err
		}
		id := strconv.FormatInt(v, 10)
		if err := a.claim(ctx, tx, r, key, "flowset", id); err != nil {
			return err
		}
		if view, err = a.flowSetView(ctx, tx, id); err != nil {
			return err
		}
		return a.record(ctx, tx, r, change{action: "admin.flows.upload", kind: "flowset", id: id, aft: view})
	})
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(view.Version))
	return writeJSON(w, http.StatusCreated, view)
}

func (a *API) activateFlowSet(w http.ResponseWriter, r *http.Request) error {
	s := r.PathValue("version")
	var v int64
	if s != "configured" {
		var err error
		if v, err = strconv.ParseInt(s, 10, 64); err != nil || v < 1 {
			return store.ErrNotFound
		}
	}
	return a.activate(w, r, v, "admin.flows.activate")
}

// rollbackFlowSet activates what served before the last activation.
func (a *API) rollbackFlowSet(w http.ResponseWriter, r *http.Request) error {
	act, err := a.o.Store.ActiveFlowSet(r.Context())
	if err != nil {
		return err
	}
	if act.ActivatedAt.IsZero() {
		return &fieldError{Status: http.StatusConflict, Code: "conflict", Message: "no flow set was ever activated: nothing to roll back"}
	}
	return a.activate(w, r, act.Previous, "admin.flows.rollback")
}

// activate makes flow set v (0: the configured flows) serve: checked
// first, then recorded and swapped in one step; the node's swap is last,
// so a refusal leaves the store as it was. Contacts in a flow finish on
// the flows they began with.
func (a *API) activate(w http.ResponseWriter, r *http.Request, v int64, action string) error {
	if a.o.Flows == nil {
		return fmt.Errorf("activate flow set: no flow set to install into")
	}
	ctx := r.Context()
	a.flowMu.Lock()
	defer a.flowMu.Unlock()
	var fsys fs.FS
	source := "configured flows"
	if v != 0 {
		b, err := a.o.Store.FlowSetArchive(ctx, v)
		if err != nil {
			return err
		}
		if fsys, err = FlowArchiveFS(b); err != nil {
			return err
		}
		source = "flow set " + strconv.FormatInt(v, 10)
	}
	if _, err := a.o.Flows.Check(fsys); err != nil {
		return writeProblems(w, "flow set not activated: the current flows keep serving", err)
	}
	var after ActiveView
	err := a.o.Store.WithTx(ctx, func(tx *store.Store) error {
		before, err := a.activeView(ctx, tx)
		if err != nil {
			return err
		}
		if err := tx.SetActiveFlowSet(ctx, store.ActiveFlowSet{Version: v, Previous: before.Version,
			ActivatedBy: actor(r), ActivatedAt: a.o.Now()}); err != nil {
			return err
		}
		if after, err = a.activeView(ctx, tx); err != nil {
			return err
		}
		after.Serving = source
		if err := a.record(ctx, tx, r, change{action: action, kind: "flowset", id: strconv.FormatInt(v, 10), before: before, aft: after}); err != nil {
			return err
		}
		return a.o.Flows.Install(fsys, source)
	})
	if err != nil {
		var le *ivr.LoadError
		if errors.As(err, &le) {
			return writeProblems(w, "flow set not activated: the current flows keep serving", err)
		}
		return err
	}
	return writeJSON(w, http.StatusOK, after)
}

// InstallActiveFlows installs the flow set the store says serves (the
// node's start); with none activated the configured flows stay.
func InstallActiveFlows(ctx context.Context, st *store.Store, flows Flows) error {
	act, err := st.ActiveFlowSet(ctx)
	if err != nil || act.Version == 0 {
		return err
	}
	b, err := st.FlowSetArchive(ctx, act.Version)
	if err != nil {
		return err
	}
	fsys, err := FlowArchiveFS(b)
	if err != nil {
		return fmt.Errorf("flow set %d: %w", act.Version, err)
	}
	if err := flows.Install(fsys, "flow set "+strconv.FormatInt(act.Version, 10)); err != nil {
		return fmt.Errorf("flow set %d: %w", act.Version, err)
	}
	return nil
}
