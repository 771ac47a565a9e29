package admin_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/hotline10000/hotline/internal/admin"
	"github.com/hotline10000/hotline/ivr"
	"github.com/hotline10000/hotline/ivr/flows"
)

// nodeFlows is a node's flow set as the admin API sees it: the configured
// flows are the built-in ones; installs are recorded.
type nodeFlows struct {
	mu       sync.Mutex
	source   string
	lib      *ivr.Library
	installs []string
}

func (n *nodeFlows) Check(fsys fs.FS) (*ivr.Library, error) {
	if fsys == nil {
		fsys = flows.FS
	}
	return ivr.LoadDir(fsys, ".")
}

func (n *nodeFlows) Install(fsys fs.FS, source string) error {
	if fsys == nil {
		source = "built-in"
	}
	lib, err := n.Check(fsys)
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.source, n.lib = source, lib
	n.installs = append(n.installs, source)
	return nil
}

func (n *nodeFlows) Source() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.source == "" {
		return "built-in"
	}
	return n.source
}

// zipOf zips the built-in flows under prefix ("" or "myflows/"), with
// files replaced or added by edits (a nil content drops the file).
func zipOf(t *testing.T, prefix string, edits map[string]*string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name, body string) {
		w, err := zw.Create(prefix + name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	err := fs.WalkDir(flows.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if e, ok := edits[p]; ok {
			if e != nil {
				add(p, *e)
			}
			return nil
		}
		b, err := fs.ReadFile(flows.FS, p)
		add(p, string(b))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for p, e := range edits {
		if _, err := fs.Stat(flows.FS, p); errors.Is(err, fs.ErrNotExist) && e != nil {
			add(p, *e)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func str(s string) *string { return &s }

func TestFlowSetUploadActivateRollback(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		node := e.flows
		zipped := func(b []byte) []string { return []string{"Content-Type", "application/zip"} }

		v1 := zipOf(t, "", nil)
		up := e.must(e.do("root", "POST", "/api/v1/admin/flows?note=as+shipped", string(v1), zipped(v1)...), http.StatusCreated)
		if up.body["version"] != float64(1) || up.body["note"] != "as shipped" || up.body["active"] != false {
			t.Fatalf("upload: %s", up.raw)
		}
		tests, _ := up.body["tests"].(map[string]any)
		if tests["failed"] != float64(0) || tests["passed"].(float64) < 1 || !strings.Contains(tests["output"].(string), "passed") {
			t.Fatalf("flow tests not shown: %s", up.raw)
		}
		if len(node.installs) != 0 {
			t.Fatal("an upload was installed before its activation")
		}

		// A set with one bad file is refused as a whole, with the problems
		// exactly as `hotline flow validate` lists them; nothing is stored.
		broken := strings.Replace(mustRead(t, "main.yaml"), "next: identify", "next: nowhere", 1)
		bad := zipOf(t, "", map[string]*string{"main.yaml": &broken})
		refused := e.do("root", "POST", "/api/v1/admin/flows", string(bad), zipped(bad)...)
		zr, _ := zip.NewReader(bytes.NewReader(bad), int64(len(bad)))
		_, lerr := ivr.LoadDir(zr, ".")
		var le *ivr.LoadError
		if !errors.As(lerr, &le) || len(le.Problems) == 0 {
			t.Fatalf("the broken set loads: %v", lerr)
		}
		problems, _ := refused.body["problems"].([]any)
		if refused.status != http.StatusUnprocessableEntity || refused.errCode() != "invalid_flows" || len(problems) != len(le.Problems) {
			t.Fatalf("broken set: %d %s", refused.status, refused.raw)
		}
		for i, p := range le.Problems {
			if problems[i] != p.Error() || !strings.HasPrefix(p.Error(), "main.yaml:") {
				t.Fatalf("problem %d: got %v, want %q", i, problems[i], p.Error())
			}
		}

		// A second version, zipped inside a folder, with another greeting.
		greeting := strings.Replace(mustRead(t, "main.yaml"), "prompt: welcome\n", "prompt: vip.welcome\n", 1)
		v2 := zipOf(t, "myflows/", map[string]*string{"main.yaml": &greeting})
		e.must(e.do("root", "POST", "/api/v1/admin/flows", string(v2), append(zipped(v2), "Idempotency-Key", "up-2")...), http.StatusCreated)
		again := e.must(e.do("root", "POST", "/api/v1/admin/flows", string(v2), append(zipped(v2), "Idempotency-Key", "up-2")...), http.StatusOK)
		if again.body["version"] != float64(2) {
			t.Fatalf("replayed upload: %s", again.raw)
		}
		list := e.must(e.do("root", "GET", "/api/v1/admin/flows", nil), http.StatusOK)
		if vs, _ := list.body["versions"].([]any); len(vs) != 2 || vs[0].(map[string]any)["version"] != float64(2) {
			t.Fatalf("versions: %s", list.raw)
		}

		act := e.must(e.do("root", "POST", "/api/v1/admin/flows/1/activate", nil), http.StatusOK)
		if act.body["version"] != float64(1) || act.body["previous"] != float64(0) || act.body["serving"] != "flow set 1" {
			t.Fatalf("activate 1: %s", act.raw)
		}
		e.must(e.do("root", "POST", "/api/v1/admin/flows/2/activate", nil), http.StatusOK)
		if node.Source() != "flow set 2" {
			t.Fatalf("serving %s", node.Source())
		}
		if f, _ := node.lib.Flow("main"); f.Nodes["welcome"].Prompt[0].Prompt != "vip.welcome" {
			t.Fatalf("flow set 2 is not the one installed: %+v", f.Nodes["welcome"].Prompt)
		}
		rb := e.must(e.do("root", "POST", "/api/v1/admin/flows/rollback", nil), http.StatusOK)
		if rb.body["version"] != float64(1) || rb.body["previous"] != float64(2) || node.Source() != "flow set 1" {
			t.Fatalf("rollback: %s (serving %s)", rb.raw, node.Source())
		}
		e.must(e.do("root", "POST", "/api/v1/admin/flows/configured/activate", nil), http.StatusOK)
		if got := strings.Join(node.installs, ","); got != "flow set 1,flow set 2,flow set 1,built-in" {
			t.Fatalf("installs %s", got)
		}
		got := e.must(e.do("root", "GET", "/api/v1/admin/flows/2", nil), http.StatusOK)
		if got.body["active"] != false || got.header.Get("ETag") != `"2"` {
			t.Fatalf("get 2: %s", got.raw)
		}

		dl := e.must(e.do("root", "GET", "/api/v1/admin/flows/2/archive", nil), http.StatusOK)
		if !bytes.Equal(dl.raw, v2) || dl.header.Get("Content-Type") != "application/zip" {
			t.Fatalf("download differs from the upload (%d bytes, %s)", len(dl.raw), dl.header.Get("Content-Type"))
		}
		tr := e.must(e.do("root", "GET", "/api/v1/admin/audit?action=admin.flows.", nil), http.StatusOK)
		if recs, _ := tr.body["records"].([]any); len(recs) != 6 {
			t.Fatalf("audit: %d records, want 6 (2 uploads, 3 activations, 1 rollback): %s", len(recs), tr.raw)
		}
		e.must(e.do("root", "POST", "/api/v1/admin/flows/9/activate", nil), http.StatusNotFound)
	})
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := fs.ReadFile(flows.FS, name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFlowSetBadUploadsAndRoles(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ok := zipOf(t, "", nil)
		zipped := []string{"Content-Type", "application/zip"}
		if a := e.do("root", "POST", "/api/v1/admin/flows", "not a zip at all", zipped...); a.status != http.StatusBadRequest || a.errField() != "body" {
			t.Fatalf("not a zip: %d %s", a.status, a.raw)
		}
		if a := e.do("root", "POST", "/api/v1/admin/flows", string(ok)); a.status != http.StatusUnsupportedMediaType {
			t.Fatalf("JSON content type: %d %s", a.status, a.raw)
		}
		escape := zipOf(t, "", map[string]*string{"../evil.yaml": str("flow: evil\n")})
		if a := e.do("root", "POST", "/api/v1/admin/flows", string(escape), zipped...); a.status != http.StatusBadRequest || a.errField() != "body" {
			t.Fatalf("a name leaving the directory: %d %s", a.status, a.raw)
		}
		if a := e.do("root", "POST", "/api/v1/admin/flows/rollback", nil); a.status != http.StatusConflict {
			t.Fatalf("rollback with nothing activated: %d %s", a.status, a.raw)
		}
		for _, who := range []string{"sup.north", "ann"} {
			if a := e.do(who, "POST", "/api/v1/admin/flows", string(ok), zipped...); a.status != http.StatusForbidden {
				t.Fatalf("%s uploads: %d", who, a.status)
			}
			if a := e.do(who, "GET", "/api/v1/admin/flows", nil); a.status != http.StatusForbidden {
				t.Fatalf("%s lists: %d", who, a.status)
			}
		}
		if vs := e.must(e.do("root", "GET", "/api/v1/admin/flows", nil), http.StatusOK).body["versions"].([]any); len(vs) != 0 {
			t.Fatalf("a refused upload was stored: %v", vs)
		}
	})
}

// FlowArchiveFS takes the flows at the top of the zip, or in its one folder.
func TestFlowArchiveFS(t *testing.T) {
	for _, prefix := range []string{"", "flows-2026/"} {
		fsys, err := admin.FlowArchiveFS(zipOf(t, prefix, nil))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ivr.LoadDir(fsys, "."); err != nil {
			t.Fatalf("prefix %q: %v", prefix, err)
		}
	}
}
