package admin_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestCustomerCreateEditAndRoles(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		a := e.must(e.do("root", "POST", "/api/v1/admin/customers", map[string]any{"phone": "13300000009", "name": "冯雪", "tier": "silver"},
			"Idempotency-Key", "c-1"), http.StatusCreated)
		id := a.body["id"].(string)
		e.must(e.do("root", "POST", "/api/v1/admin/customers", map[string]any{"phone": "13300000009"}, "Idempotency-Key", "c-1"), http.StatusOK)
		if d := e.do("root", "POST", "/api/v1/admin/customers", map[string]any{"phone": "13300000009"}); d.status != http.StatusConflict || d.errField() != "phone" {
			t.Fatalf("duplicate phone: %d %s", d.status, d.raw)
		}
		up := e.must(e.do("root", "PATCH", "/api/v1/admin/customers/"+id, map[string]any{"tier": "diamond", "do_not_call": true}, "If-Match", `"1"`), http.StatusOK)
		if up.body["tier"] != "diamond" || up.body["do_not_call"] != true || up.body["blacklisted"] != false {
			t.Fatalf("upgrade: %s", up.raw)
		}
		if s := e.do("root", "PATCH", "/api/v1/admin/customers/"+id, map[string]any{"tier": "gold"}, "If-Match", `"1"`); s.status != http.StatusConflict {
			t.Fatalf("stale edit: %d %s", s.status, s.raw)
		}
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"phone": "12ab"}, "phone"},
			{map[string]any{"tier": "platinum-plus"}, "tier"},
			{map[string]any{"account": "a b"}, "account"},
			{map[string]any{"phone": ""}, "phone"},
		} {
			method, path := "POST", "/api/v1/admin/customers"
			if _, ok := c.body["tier"]; ok {
				method, path = "PATCH", "/api/v1/admin/customers/"+id
			}
			if a := e.do("root", method, path, c.body); a.status != http.StatusBadRequest || a.errField() != c.field {
				t.Errorf("%v: %d %s", c.body, a.status, a.raw)
			}
		}
		if l := e.must(e.do("root", "GET", "/api/v1/admin/customers?q=0000009", nil), http.StatusOK); len(l.body["customers"].([]any)) != 1 {
			t.Fatalf("search: %s", l.raw)
		}
		for _, who := range []string{"sup.north", "ann"} {
			if a := e.do(who, "GET", "/api/v1/admin/customers", nil); a.status != http.StatusForbidden {
				t.Errorf("%s listing customers: %d", who, a.status)
			}
		}
	})
}

func (e *env) csv(login, body string) answer {
	return e.do(login, "POST", "/api/v1/admin/customers/import", body, "Content-Type", "text/csv")
}

func TestCustomerCSVImportAllOrNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.must(e.do("root", "POST", "/api/v1/admin/customers", map[string]any{"phone": "13300000001", "tier": "standard"}), http.StatusCreated)
		good := "\ufeffphone,account,name,tier,blacklisted,do_not_call\r\n" +
			"13300000001,,李雷,gold,,\r\n" +
			"13300000002,ACC-2,\"韩, 梅梅\",diamond,false,true\r\n" +
			",ACC-3,,,,\r\n"
		a := e.must(e.csv("root", good), http.StatusOK)
		if a.body["created"] != float64(2) || a.body["updated"] != float64(1) {
			t.Fatalf("import: %s", a.raw)
		}
		bad := "phone,account,name,tier,blacklisted,do_not_call\n" +
			"13300000005,,ok,gold,,\n" +
			"13300000006,,too,many,columns,,\n" +
			"1x,,bad phone,gold,,\n" +
			"13300000007,,,gold,maybe,\n" +
			"13300000005,,dup,gold,,\n"
		b := e.csv("root", bad)
		if b.status != http.StatusUnprocessableEntity {
			t.Fatalf("bad import: %d %s", b.status, b.raw)
		}
		probs, _ := b.body["problems"].([]any)
		want := []struct {
			line  float64
			field string
		}{{3, ""}, {4, "phone"}, {5, "blacklisted"}, {6, "phone"}}
		if len(probs) != len(want) {
			t.Fatalf("problems %s", b.raw)
		}
		for i, w := range want {
			p := probs[i].(map[string]any)
			f, _ := p["field"].(string)
			if p["line"] != w.line || f != w.field {
				t.Errorf("problem %d: %v, want line %v field %q", i, p, w.line, w.field)
			}
		}
		// Nothing of the bad file was applied, not even its good line.
		if l := e.must(e.do("root", "GET", "/api/v1/admin/customers?q=13300000005", nil), http.StatusOK); len(l.body["customers"].([]any)) != 0 {
			t.Fatalf("half-imported: %s", l.raw)
		}
		if h := e.csv("root", "phone,name\n1,2\n"); h.status != http.StatusUnprocessableEntity {
			t.Fatalf("wrong header: %d", h.status)
		}
		x := e.must(e.do("root", "GET", "/api/v1/admin/customers/export", nil), http.StatusOK)
		out := string(x.raw)
		if !strings.HasPrefix(out, "phone,account,name,tier,blacklisted,do_not_call,numbers\n") || !strings.Contains(out, "13300000002,ACC-2,\"韩, 梅梅\",diamond,false,true,\n") ||
			!strings.Contains(out, "13300000001,,李雷,gold,false,false,\n") {
			t.Fatalf("export:\n%s", out)
		}
		tr := e.must(e.do("root", "GET", "/api/v1/admin/audit?action=admin.customer.import", nil), http.StatusOK)
		if recs, _ := tr.body["records"].([]any); len(recs) != 1 {
			t.Fatalf("import audit: %s", tr.raw)
		}
		n, err := e.st.CountCustomers(t.Context())
		if err != nil || n != 3 {
			t.Fatalf("customers %d, %v", n, err)
		}
	})
}

// A customer's further contact numbers: set with the customer, validated
// naming the entry, one owner per number whatever its role, searched, and
// recorded in the audit trail with the change.
func TestCustomerNumbers(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		a := e.must(e.do("root", "POST", "/api/v1/admin/customers", map[string]any{"phone": "13300000009", "name": "冯雪",
			"numbers": []string{"057188001234"}}), http.StatusCreated)
		id := a.body["id"].(string)
		if nums, _ := a.body["numbers"].([]any); len(nums) != 1 || nums[0] != "057188001234" {
			t.Fatalf("created: %s", a.raw)
		}
		b := e.must(e.do("root", "POST", "/api/v1/admin/customers", map[string]any{"phone": "13300000010"}), http.StatusCreated)
		if nums, ok := b.body["numbers"].([]any); !ok || len(nums) != 0 {
			t.Fatalf("no numbers is an empty list: %s", b.raw)
		}
		bid := b.body["id"].(string)
		for _, c := range []struct {
			method, path string
			body         map[string]any
			status       int
			field        string
		}{
			{"PATCH", "/api/v1/admin/customers/" + id, map[string]any{"numbers": []string{"0571-8800"}}, 400, "numbers[0]"},
			{"PATCH", "/api/v1/admin/customers/" + id, map[string]any{"numbers": []string{"057188001234", "057188001234"}}, 400, "numbers[1]"},
			{"PATCH", "/api/v1/admin/customers/" + id, map[string]any{"numbers": []string{"13300000009"}}, 400, "numbers[0]"},
			{"PATCH", "/api/v1/admin/customers/" + id, map[string]any{"numbers": make([]string, 11)}, 400, "numbers"},
			{"PATCH", "/api/v1/admin/customers/" + bid, map[string]any{"numbers": []string{"057188001234"}}, 409, "numbers[0]"},
			{"PATCH", "/api/v1/admin/customers/" + bid, map[string]any{"numbers": []string{"13300000009"}}, 409, "numbers[0]"},
			{"PATCH", "/api/v1/admin/customers/" + bid, map[string]any{"phone": "057188001234"}, 409, "phone"},
			{"POST", "/api/v1/admin/customers", map[string]any{"phone": "057188001234"}, 409, "phone"},
		} {
			if r := e.do("root", c.method, c.path, c.body); r.status != c.status || r.errField() != c.field {
				t.Errorf("%s %v: got %d %q, want %d %q: %s", c.method, c.body, r.status, r.errField(), c.status, c.field, r.raw)
			}
		}
		// Swapping the phone with a further number is one edit.
		up := e.must(e.do("root", "PATCH", "/api/v1/admin/customers/"+id, map[string]any{"phone": "057188001234", "numbers": []string{"13300000009", "13900000001"}}), http.StatusOK)
		if up.body["phone"] != "057188001234" || len(up.body["numbers"].([]any)) != 2 {
			t.Fatalf("swap: %s", up.raw)
		}
		if l := e.must(e.do("root", "GET", "/api/v1/admin/customers?q=13900000001", nil), http.StatusOK); len(l.body["customers"].([]any)) != 1 {
			t.Fatalf("search by a further number: %s", l.raw)
		}
		if c, err := e.st.CustomerByANI(t.Context(), "13900000001"); err != nil || c.ID != id {
			t.Fatalf("the IVR's lookup by a further number: %+v %v", c, err)
		}
		// A CSV row whose phone is a customer's further number is refused at
		// its line, naming the number's role (docs/administration.md).
		if c := e.csv("root", "phone,account,name,tier,blacklisted,do_not_call\n13900000001,,,,,\n"); c.status != http.StatusUnprocessableEntity ||
			!strings.Contains(string(c.raw), `"line":2`) || !strings.Contains(string(c.raw), `numbers[1]`) {
			t.Fatalf("CSV row with a further number: %d %s", c.status, c.raw)
		}
		au := e.must(e.do("root", "GET", "/api/v1/admin/audit?action=admin.customer.update&subject_id="+id, nil), http.StatusOK)
		if !strings.Contains(string(au.raw), `"13900000001"`) {
			t.Fatalf("the audit record lacks the new numbers: %s", au.raw)
		}
	})
}

// The CSV carries further numbers in its numbers column: validated per line
// like the other cells (a bad number, one another line or customer has,
// the row's own phone), nothing imported when a line is bad, an empty cell
// keeping them and "-" clearing them; an export imports back unchanged.
func TestCustomerCSVNumbersRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.must(e.do("root", "POST", "/api/v1/admin/customers", map[string]any{"phone": "13300000020", "numbers": []string{"057188000020"}}), http.StatusCreated)
		head := "phone,account,name,tier,blacklisted,do_not_call,numbers\n"
		good := head +
			"13300000021,,冯雪,gold,,,057188000021;13900000021\n" +
			"13300000022,ACC-22,\"Li, Lei\",,,,\"057188000022, +8613900000022\"\n" +
			"13300000020,,,,,,\n" // empty: 057188000020 kept
		e.must(e.csv("root", good), http.StatusOK)
		c := e.must(e.do("root", "GET", "/api/v1/admin/customers?q=13900000021", nil), http.StatusOK)
		if cs, _ := c.body["customers"].([]any); len(cs) != 1 || fmt.Sprint(cs[0].(map[string]any)["numbers"]) != "[057188000021 13900000021]" {
			t.Fatalf("imported numbers: %s", c.raw)
		}
		if cu, err := e.st.CustomerByANI(t.Context(), "+8613900000022"); err != nil || cu.Account != "ACC-22" {
			t.Fatalf("the IVR's lookup by an imported further number: %+v %v", cu, err)
		}
		if cu, err := e.st.CustomerByANI(t.Context(), "057188000020"); err != nil || cu.ANI != "13300000020" {
			t.Fatalf("an empty numbers cell dropped the numbers: %+v %v", cu, err)
		}

		for _, c := range []struct {
			name, body string
			line       float64
			field      string
		}{
			{"invalid number", "13300000030,,,,,,0571-88\n", 2, "numbers[0]"},
			{"the same number twice in a row", "13300000030,,,,,,057188000030;057188000030\n", 2, "numbers[1]"},
			{"the row's own phone", "13300000030,,,,,,13300000030\n", 2, "numbers[0]"},
			{"a number of another line", "13300000030,,,,,,057188000031\n13300000031,,,,,,057188000031\n", 3, "numbers[0]"},
			{"another line's phone", "13300000030,,,,,,\n13300000031,,,,,,13300000030\n", 3, "numbers[0]"},
			{"a phone another line lists", "13300000031,,,,,,057188000031\n057188000031,,,,,,\n", 3, "phone"},
			{"another customer's further number", "13300000030,,,,,,057188000021\n", 2, "numbers[0]"},
			{"another customer's phone", "13300000030,,,,,,13300000021\n", 2, "numbers[0]"},
			{"too many", "13300000030,,,,,," + strings.Repeat("05718800003;", 11) + "\n", 2, "numbers"},
			{"a column short", "13300000030,,,,,\n", 2, ""},
		} {
			// A good line first: nothing of the file may be applied.
			body := head + "13300000039,,first,,,,057188000039\n" + c.body
			a := e.csv("root", body)
			probs, _ := a.body["problems"].([]any)
			if a.status != http.StatusUnprocessableEntity || len(probs) != 1 {
				t.Errorf("%s: %d %s, want one problem", c.name, a.status, a.raw)
				continue
			}
			p := probs[0].(map[string]any)
			if f, _ := p["field"].(string); p["line"] != c.line+1 || f != c.field {
				t.Errorf("%s: problem %v, want line %v field %q", c.name, p, c.line+1, c.field)
			}
		}
		if n, err := e.st.CountCustomers(t.Context()); err != nil || n != 3 {
			t.Fatalf("customers %d, %v: a bad file was half-imported", n, err)
		}

		// Round trip: the export, imported back after changes, restores
		// every customer's numbers exactly (and exports the same file).
		first := e.must(e.do("root", "GET", "/api/v1/admin/customers/export", nil), http.StatusOK)
		if !strings.Contains(string(first.raw), "13300000022,ACC-22,\"Li, Lei\",standard,false,false,057188000022;+8613900000022\n") {
			t.Fatalf("export:\n%s", first.raw)
		}
		id := c.body["customers"].([]any)[0].(map[string]any)["id"].(string)
		e.must(e.do("root", "PATCH", "/api/v1/admin/customers/"+id, map[string]any{"numbers": []string{"13900000099"}}), http.StatusOK)
		e.must(e.csv("root", head+"13300000020,,,,,,-\n"), http.StatusOK) // "-" clears
		if cu, err := e.st.CustomerByANI(t.Context(), "057188000020"); err == nil {
			t.Fatalf("\"-\" kept the numbers: %+v", cu)
		}
		e.must(e.csv("root", string(first.raw)), http.StatusOK)
		second := e.must(e.do("root", "GET", "/api/v1/admin/customers/export", nil), http.StatusOK)
		if string(second.raw) != string(first.raw) {
			t.Fatalf("round trip:\n%s\nwant\n%s", second.raw, first.raw)
		}
		// The header without numbers still imports, keeping them.
		e.must(e.csv("root", "phone,account,name,tier,blacklisted,do_not_call\n13300000021,,冯雪,diamond,,\n"), http.StatusOK)
		if cu, err := e.st.CustomerByANI(t.Context(), "13900000021"); err != nil || cu.Tier != "diamond" {
			t.Fatalf("a file without the numbers column: %+v %v", cu, err)
		}
	})
}
