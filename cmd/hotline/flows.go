package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"sync"

	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/calendar"
	"github.com/hotline10000/hotline/internal/config"
	"github.com/hotline10000/hotline/internal/httpapi"
	"github.com/hotline10000/hotline/ivr"
	"github.com/hotline10000/hotline/ivr/flows"
)

// flowSet is the node's IVR flows. The server refuses to start on an
// invalid set; a reload (SIGHUP, or the admin endpoint) swaps in a new set
// only when all of it is valid, and runs in progress finish on the flows
// they started with.
type flowSet struct {
	fsys       fs.FS
	source     string        // for messages: the directory, or "built-in"
	alwaysOpen bool          // ivr.always_open: every calendar answers open
	calendars  *calendar.Set // administered calendars: they win over calendars.yaml's
	log        *slog.Logger

	// configured is the flow directory of the configuration (fsys serves
	// until administration activates an uploaded flow set).
	configured       fs.FS
	configuredSource string

	mu        sync.Mutex // guards fsys, source, lib, listeners
	lib       *ivr.Library
	listeners []func(*ivr.Library)
}

func loadFlows(cfg config.Config, cals *calendar.Set, log *slog.Logger) (*flowSet, error) {
	f := &flowSet{fsys: flows.FS, source: "built-in", log: log, alwaysOpen: cfg.IVR.AlwaysOpen, calendars: cals}
	if cfg.IVR.FlowsDir != "" {
		if st, err := os.Stat(cfg.IVR.FlowsDir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("ivr.flows_dir: %q is not a directory", cfg.IVR.FlowsDir)
		}
		f.fsys, f.source = os.DirFS(cfg.IVR.FlowsDir), cfg.IVR.FlowsDir
	}
	f.configured, f.configuredSource = f.fsys, f.source
	lib, err := f.load(f.fsys)
	if err != nil {
		return nil, fmt.Errorf("ivr.flows_dir (%s): %w", f.source, err)
	}
	f.lib = lib
	log.Info("flows loaded", "source", f.source, "flows", len(lib.Flows()), "always_open", f.alwaysOpen)
	return f, nil
}

// load reads and validates a flow set, opening its calendars 24×7 when
// ivr.always_open says so.
func (f *flowSet) load(fsys fs.FS) (*ivr.Library, error) {
	lib, err := ivr.LoadDirWith(fsys, ".", liveCalendars{f.calendars})
	if err != nil {
		return nil, err
	}
	if f.alwaysOpen {
		lib = lib.AlwaysOpen()
	}
	return lib, nil
}

// liveCalendars gives flows the administered calendars: a calendar of
// calendars.yaml is asked through the node's set at each question, so an
// administered one of the same name (with a holiday added, say) answers
// instead, at once.
type liveCalendars struct{ set *calendar.Set }

func (l liveCalendars) Names() []string { return l.set.Names() }

func (l liveCalendars) Calendar(name string, file ivr.Calendar) ivr.Calendar {
	fc, _ := file.(*calendar.Calendar)
	return l.set.Live(name, fc)
}

// library returns the flows new runs use.
func (f *flowSet) library() *ivr.Library {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lib
}

// Library is the library that serves now (admin.ServingFlows: a queue no
// flow transfers to is warned about).
func (f *flowSet) Library() *ivr.Library { return f.library() }

// onReload registers fn to receive every library a reload installs.
func (f *flowSet) onReload(fn func(*ivr.Library)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.listeners = append(f.listeners, fn)
}

// reload loads the flows again and installs them if they are valid.
func (f *flowSet) reload() (*ivr.Library, error) {
	f.mu.Lock()
	fsys, source := f.fsys, f.source
	f.mu.Unlock()
	return f.swap(fsys, source, "flows reloaded")
}

// swap loads fsys and installs it if it is valid, telling the listeners.
func (f *flowSet) swap(fsys fs.FS, source, done string) (*ivr.Library, error) {
	lib, err := f.load(fsys)
	if err != nil {
		f.log.Error("flows refused; the current flows keep serving", "source", source, "err", err)
		return nil, err
	}
	f.mu.Lock()
	f.fsys, f.source, f.lib = fsys, source, lib
	listeners := f.listeners
	f.mu.Unlock()
	for _, fn := range listeners {
		fn(lib)
	}
	f.log.Info(done, "source", source, "flows", len(lib.Flows()))
	return lib, nil
}

// Check loads fsys (nil: the configured flows) as the node would serve
// it, installing nothing (admin.Flows).
func (f *flowSet) Check(fsys fs.FS) (*ivr.Library, error) {
	if fsys == nil {
		fsys = f.configured
	}
	return f.load(fsys)
}

// Install makes fsys (nil: the configured flows) the flows new contacts
// run; contacts in a flow finish on theirs (admin.Flows).
func (f *flowSet) Install(fsys fs.FS, source string) error {
	if fsys == nil {
		fsys, source = f.configured, f.configuredSource
	}
	_, err := f.swap(fsys, source, "flows installed")
	return err
}

// Source names the flows that serve (admin.Flows).
func (f *flowSet) Source() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.source
}

// routes mounts POST /api/v1/admin/flows/reload (permission configure):
// 200 with the flow names, or 422 listing every problem as file:line.
func (f *flowSet) routes(mux *http.ServeMux, a *auth.Service) {
	mux.Handle("POST /api/v1/admin/flows/reload", a.Require(auth.PermConfigure, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lib, err := f.reload()
		if err != nil {
			problems := []string{err.Error()}
			var le *ivr.LoadError
			if errors.As(err, &le) {
				problems = problems[:0]
				for _, p := range le.Problems {
					problems = append(problems, p.Error())
				}
			}
			httpapi.WriteJSON(w, http.StatusUnprocessableEntity, map[string]any{
				"error":    httpapi.ErrorDetail{Code: "invalid_flows", Message: "flows not reloaded; the current flows keep serving"},
				"problems": problems,
			})
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, map[string]any{"source": f.Source(), "flows": lib.Flows()})
	})))
}
