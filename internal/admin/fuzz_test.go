package admin

import (
	"archive/zip"
	"bytes"
	"io/fs"
	"strings"
	"testing"

	"github.com/hotline10000/hotline/ivr"
)

// The customer CSV is a user file: parsing never panics, and a file it
// accepts has rows that pass the API's own checks.
func FuzzParseCustomersCSV(f *testing.F) {
	f.Add([]byte("\ufeffphone,account,name,tier,blacklisted,do_not_call\r\n13300000001,,李雷,gold,,\r\n"))
	f.Add([]byte("phone,account,name,tier,blacklisted,do_not_call\n,ACC-1,\"a, \"\"b\"\"\",diamond,true,false\n"))
	f.Add([]byte("phone,account,name,tier,blacklisted,do_not_call,numbers\n13300000001,,,,,,057188000001;+8613900000001\n13300000002,,,,,,-\n"))
	f.Add([]byte("phone,account,name,tier,blacklisted,do_not_call,numbers\n13300000001,,,,,,13300000001\n"))
	f.Add([]byte("phone,account\n1,2,3\n"))
	f.Add([]byte("phone,account,name,tier,blacklisted,do_not_call\n\"unterminated\n"))
	f.Add([]byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, problems := ParseCustomersCSV(data)
		if rows != nil && problems != nil {
			t.Fatal("rows and problems both")
		}
		if len(problems) > maxLineErrors {
			t.Fatalf("%d problems", len(problems))
		}
		for _, in := range rows {
			if fe := checkCustomer(in, true); fe != nil {
				t.Fatalf("accepted a row that fails: %v", fe)
			}
		}
	})
}

// An uploaded flow set is a user file: opening it never panics, and what
// opens stays inside the flow directory and loads (or is refused) without
// panicking.
func FuzzFlowArchive(f *testing.F) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{"main.yaml": "flow: main\nstart: a\nnodes:\n  a:\n    kind: hangup\n", "calendars.yaml": "calendars: []\n"} {
		w, _ := zw.Create(name)
		w.Write([]byte(body))
	}
	zw.Close()
	f.Add(buf.Bytes())
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Add([]byte("not a zip"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys, err := FlowArchiveFS(data)
		if err != nil {
			return
		}
		_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !fs.ValidPath(p) {
				t.Fatalf("path %q outside the directory", p)
			}
			return nil
		})
		_, _ = ivr.LoadDir(fsys, ".")
	})
}
