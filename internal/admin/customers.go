package admin

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hotline10000/hotline/internal/audit"
	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/httpapi"
	"github.com/hotline10000/hotline/internal/store"
)

// CustomerView is a customer as administration shows it.
type CustomerView struct {
	ID          string `json:"id"`
	Phone       string `json:"phone"`
	Account     string `json:"account"`
	Name        string `json:"name"`
	Tier        string `json:"tier"`
	Blacklisted bool   `json:"blacklisted"`
	DoNotCall   bool   `json:"do_not_call"`
	// Numbers are the customer's further contact numbers (a landline, a
	// second mobile): the IVR and the desk know the customer by them too.
	Numbers   []string  `json:"numbers"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

type customerInput struct {
	Phone       *string   `json:"phone"`
	Account     *string   `json:"account"`
	Name        *string   `json:"name"`
	Tier        *string   `json:"tier"`
	Blacklisted *bool     `json:"blacklisted"`
	DoNotCall   *bool     `json:"do_not_call"`
	Numbers     *[]string `json:"numbers"`
	line        int       // a CSV row's line in its file
}

// maxNumbers bounds a customer's further contact numbers.
const maxNumbers = 10

func (a *API) customerRoutes(mux *http.ServeMux, h handle) {
	mux.Handle("GET /api/v1/admin/customers", h(auth.PermConfigure, a.listCustomers))
	mux.Handle("POST /api/v1/admin/customers", h(auth.PermConfigure, a.createCustomer))
	mux.Handle("GET /api/v1/admin/customers/export", h(auth.PermConfigure, a.exportCustomers))
	mux.Handle("POST /api/v1/admin/customers/import", h(auth.PermConfigure, a.importCustomers))
	mux.Handle("GET /api/v1/admin/customers/{id}", h(auth.PermConfigure, a.getCustomer))
	mux.Handle("PATCH /api/v1/admin/customers/{id}", h(auth.PermConfigure, a.updateCustomer))
}

// tiers are the service tiers (分级服务) as the store names them.
var tiers = []string{string(store.TierStandard), string(store.TierSilver), string(store.TierGold), string(store.TierDiamond)}

var phonePattern = regexp.MustCompile(`^\+?[0-9]{5,20}$`)

// validPhone accepts a calling number of 5–20 digits with an optional "+".
func validPhone(s string) bool { return phonePattern.MatchString(s) }

func validAccount(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-') {
			return false
		}
	}
	return true
}

// checkCustomer validates the fields present; prefix is put before field
// names. A customer needs a phone or an account.
func checkCustomer(in customerInput, create bool) *fieldError {
	if in.Phone != nil && *in.Phone != "" && !validPhone(*in.Phone) {
		return badField("phone", "5–20 digits, optionally after '+'")
	}
	if in.Account != nil && *in.Account != "" && !validAccount(*in.Account) {
		return badField("account", "1–32 letters, digits or '-'")
	}
	if in.Name != nil && utf8.RuneCountInString(*in.Name) > 128 {
		return badField("name", "at most 128 characters")
	}
	if in.Tier != nil {
		ok := false
		for _, t := range tiers {
			ok = ok || *in.Tier == t
		}
		if !ok {
			return badField("tier", "one of %s", strings.Join(tiers, ", "))
		}
	}
	if in.Numbers != nil {
		if len(*in.Numbers) > maxNumbers {
			return badField("numbers", "at most %d further numbers", maxNumbers)
		}
		for i, n := range *in.Numbers {
			if !validPhone(n) {
				return badField(fmt.Sprintf("numbers[%d]", i), "5–20 digits, optionally after '+'")
			}
			for j := range i {
				if (*in.Numbers)[j] == n {
					return badField(fmt.Sprintf("numbers[%d]", i), "the same number as numbers[%d]", j)
				}
			}
		}
	}
	if create && (in.Phone == nil || *in.Phone == "") && (in.Account == nil || *in.Account == "") {
		return badField("phone", "a phone number or an account is required")
	}
	return nil
}

func (a *API) customerView(ctx context.Context, st *store.Store, id string) (CustomerView, error) {
	c, err := st.Customer(ctx, id)
	if err != nil {
		return CustomerView{}, err
	}
	return a.customerViewOf(ctx, st, c)
}

func (a *API) customerViewOf(ctx context.Context, st *store.Store, c store.Customer) (CustomerView, error) {
	v := CustomerView{ID: c.ID, Phone: c.ANI, Account: c.Account, Name: c.Name, Tier: string(c.Tier),
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	f, err := st.CustomerFlagsOf(ctx, c.ID)
	if err != nil {
		return v, err
	}
	v.Blacklisted, v.DoNotCall = f.Blacklisted, f.DoNotCall
	if v.Numbers, err = st.CustomerNumbers(ctx, c.ID); err != nil {
		return v, err
	}
	if v.Numbers == nil {
		v.Numbers = []string{}
	}
	v.Version, err = st.Version(ctx, store.VersionedCustomers, c.ID)
	return v, err
}

func (a *API) listCustomers(w http.ResponseWriter, r *http.Request) error {
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	cs, err := a.o.Store.CustomersPaged(ctx, after, r.URL.Query().Get("q"), limit+1)
	if err != nil {
		return err
	}
	out := struct {
		Customers []CustomerView `json:"customers"`
		Next      string         `json:"next,omitempty"`
	}{Customers: []CustomerView{}}
	if len(cs) > limit {
		cs = cs[:limit]
		out.Next = cs[limit-1].ID
	}
	for _, c := range cs {
		v, err := a.customerViewOf(ctx, a.o.Store, c)
		if err != nil {
			return err
		}
		out.Customers = append(out.Customers, v)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) getCustomer(w http.ResponseWriter, r *http.Request) error {
	return getOne(w, r, a.o.Store, a.customerView)
}

// uniqueClash names the field of a unique violation of a customer.
func uniqueClash(err error) error {
	if !errors.Is(err, store.ErrConflict) {
		return err
	}
	field := "phone"
	if strings.Contains(err.Error(), "account") {
		field = "account"
	}
	return &fieldError{Field: field, Status: http.StatusConflict, Code: "already_exists", Message: "another customer has this " + field}
}

func (a *API) createCustomer(w http.ResponseWriter, r *http.Request) error {
	var in customerInput
	if err := a.decode(w, r, &in); err != nil {
		return err
	}
	key, done, err := replay(a, w, r, "customer", a.customerView)
	if done || err != nil {
		return err
	}
	ctx := r.Context()
	if fe := checkCustomer(in, true); fe != nil {
		return fe
	}
	var v CustomerView
	err = a.o.Store.WithTx(ctx, func(tx *store.Store) error {
		var err error
		if v, err = a.createIn(ctx, tx, in); err != nil {
			return err
		}
		if err := a.claim(ctx, tx, r, key, "customer", v.ID); err != nil {
			return err
		}
		return a.record(ctx, tx, r, change{action: "admin.customer.create", kind: audit.KindCustomer, id: v.ID, aft: v})
	})
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(v.Version))
	w.Header().Set("Location", "/api/v1/admin/customers/"+v.ID)
	return writeJSON(w, http.StatusCreated, v)
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// createIn creates a valid customer inside tx.
func (a *API) createIn(ctx context.Context, tx *store.Store, in customerInput) (CustomerView, error) {
	tier := store.TierStandard
	if in.Tier != nil {
		tier = store.Tier(*in.Tier)
	}
	if err := numbersFree(ctx, tx, "", str(in.Phone), in.Numbers); err != nil {
		return CustomerView{}, err
	}
	c, err := tx.CreateCustomer(ctx, store.Customer{ANI: str(in.Phone), Account: str(in.Account), Name: str(in.Name),
		Tier: tier, CreatedAt: a.o.Now()})
	if err != nil {
		return CustomerView{}, uniqueClash(err)
	}
	if in.Numbers != nil {
		if err := tx.SetCustomerNumbers(ctx, c.ID, *in.Numbers); err != nil {
			return CustomerView{}, err
		}
	}
	if in.Blacklisted != nil || in.DoNotCall != nil {
		f := store.CustomerFlags{Blacklisted: in.Blacklisted != nil && *in.Blacklisted, DoNotCall: in.DoNotCall != nil && *in.DoNotCall}
		if err := tx.UpdateCustomer(ctx, c.ID, store.CustomerUpdate{Flags: &f}, a.o.Now()); err != nil {
			return CustomerView{}, err
		}
	}
	return a.customerView(ctx, tx, c.ID)
}

// updateIn applies in to customer id inside tx (its version already moved).
func (a *API) updateIn(ctx context.Context, tx *store.Store, id string, cur CustomerView, in customerInput) error {
	u := store.CustomerUpdate{ANI: in.Phone, Account: in.Account, Name: in.Name}
	if in.Tier != nil {
		t := store.Tier(*in.Tier)
		u.Tier = &t
	}
	if in.Blacklisted != nil || in.DoNotCall != nil {
		f := store.CustomerFlags{Blacklisted: cur.Blacklisted, DoNotCall: cur.DoNotCall}
		if in.Blacklisted != nil {
			f.Blacklisted = *in.Blacklisted
		}
		if in.DoNotCall != nil {
			f.DoNotCall = *in.DoNotCall
		}
		u.Flags = &f
	}
	phone, account := cur.Phone, cur.Account
	if in.Phone != nil {
		phone = *in.Phone
	}
	if in.Account != nil {
		account = *in.Account
	}
	if phone == "" && account == "" {
		return badField("phone", "a customer keeps a phone number or an account")
	}
	numbers := in.Numbers
	if numbers == nil {
		numbers = &cur.Numbers
	}
	if err := numbersFree(ctx, tx, id, phone, numbers); err != nil {
		return err
	}
	if in.Numbers != nil {
		if err := tx.SetCustomerNumbers(ctx, id, *in.Numbers); err != nil {
			return err
		}
	}
	return uniqueClash(tx.UpdateCustomer(ctx, id, u, a.o.Now()))
}

// numbersFree checks that a customer's phone and further numbers (nil: not
// given) as they are to be belong to no other customer (id; "" for a new
// one), in either role: a number names one customer.
func numbersFree(ctx context.Context, tx *store.Store, id, phone string, numbers *[]string) error {
	taken := func(n string) (bool, error) {
		owner, err := tx.NumberOwner(ctx, n)
		return owner != "" && owner != id, err
	}
	if phone != "" {
		if t, err := taken(phone); err != nil || t {
			if err == nil {
				err = &fieldError{Field: "phone", Status: http.StatusConflict, Code: "already_exists", Message: "another customer has this number"}
			}
			return err
		}
	}
	if numbers == nil {
		return nil
	}
	for i, n := range *numbers {
		field := fmt.Sprintf("numbers[%d]", i)
		if n == phone {
			return badField(field, "the customer's own phone: list further numbers only")
		}
		if t, err := taken(n); err != nil || t {
			if err == nil {
				err = &fieldError{Field: field, Status: http.StatusConflict, Code: "already_exists", Message: "another customer has this number"}
			}
			return err
		}
	}
	return nil
}

func (a *API) updateCustomer(w http.ResponseWriter, r *http.Request) error {
	var in customerInput
	if err := a.decode(w, r, &in); err != nil {
		return err
	}
	if fe := checkCustomer(in, false); fe != nil {
		return fe
	}
	want, err := ifMatch(r)
	if err != nil {
		return err
	}
	ctx, id := r.Context(), r.PathValue("id")
	var before, after CustomerView
	err = a.o.Store.WithTx(ctx, func(tx *store.Store) error {
		v, err := tx.BumpVersion(ctx, store.VersionedCustomers, id, want, a.o.Now())
		if err != nil {
			return err
		}
		if before, err = a.customerView(ctx, tx, id); err != nil {
			return err
		}
		before.Version = v - 1
		if err := a.updateIn(ctx, tx, id, before, in); err != nil {
			return err
		}
		if after, err = a.customerView(ctx, tx, id); err != nil {
			return err
		}
		return a.record(ctx, tx, r, change{action: "admin.customer.update", kind: audit.KindCustomer, id: id, before: before, aft: after})
	})
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(after.Version))
	return writeJSON(w, http.StatusOK, after)
}

// csvHeader is the column order of the customer CSV (import and export).
// An import may leave out the last column, numbers (the header before
// further numbers were carried): customers' further numbers then stay as
// they are.
var csvHeader = []string{"phone", "account", "name", "tier", "blacklisted", "do_not_call", "numbers"}

// csvNoNumbers is the cell that clears a customer's further numbers (an
// empty cell keeps them, as empty cells keep tiers and flags).
const csvNoNumbers = "-"

// csvNumbers splits a numbers cell: separated by ';' (as exported), ',' or
// spaces.
func csvNumbers(cell string) []string {
	return strings.FieldsFunc(cell, func(r rune) bool { return r == ';' || r == ',' || unicode.IsSpace(r) })
}

// LineError is one problem of a CSV import, by line (1 is the header).
type LineError struct {
	Line    int    `json:"line"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// maxLineErrors bounds the problems reported for one file.
const maxLineErrors = 100

// ParseCustomersCSV reads a customer CSV (UTF-8, with or without a BOM;
// the header row names the columns csvHeader lists, in that order, with or
// without the last). It returns every valid row, or the problems by line.
func ParseCustomersCSV(data []byte) ([]customerInput, []LineError) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return nil, []LineError{{Line: 1, Message: "the file is not UTF-8"}}
	}
	rd := csv.NewReader(bytes.NewReader(data))
	rd.FieldsPerRecord = -1 // counted here, to report the line
	var out []customerInput
	var problems []LineError
	add := func(l int, field, format string, args ...any) {
		if len(problems) < maxLineErrors {
			problems = append(problems, LineError{Line: l, Field: field, Message: fmt.Sprintf(format, args...)})
		}
	}
	// Every number of the file, phone or further, names one customer:
	// where it was first seen.
	type seen struct {
		line    int
		further bool
	}
	numbers, accounts := map[string]seen{}, map[string]int{}
	columns := len(csvHeader)
	for n := 0; ; n++ {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				add(pe.Line, "", "%v", pe.Err)
			} else {
				add(0, "", "%v", err)
			}
			break
		}
		// FieldPos only for a record read without error (it panics otherwise).
		line, _ := rd.FieldPos(0)
		if n == 0 {
			for i := range rec {
				rec[i] = strings.ToLower(strings.TrimSpace(rec[i]))
			}
			switch strings.Join(rec, ",") {
			case strings.Join(csvHeader, ","):
			case strings.Join(csvHeader[:len(csvHeader)-1], ","):
				columns-- // no numbers column: further numbers kept
			default:
				add(line, "", "the header must be %s", strings.Join(csvHeader, ","))
			}
			if len(problems) > 0 {
				break
			}
			continue
		}
		if len(rec) != columns {
			add(line, "", "%d columns, want %d", len(rec), columns)
			continue
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		in := customerInput{Phone: &rec[0], Account: &rec[1], Name: &rec[2], line: line}
		if rec[3] != "" {
			in.Tier = &rec[3]
		}
		bad := false
		for i, p := range []**bool{&in.Blacklisted, &in.DoNotCall} {
			s := rec[4+i]
			if s == "" {
				continue
			}
			b, err := strconv.ParseBool(s)
			if err != nil {
				add(line, csvHeader[4+i], "true or false")
				bad = true
				continue
			}
			*p = &b
		}
		if columns > 6 && rec[6] != "" {
			nums := []string{}
			if rec[6] != csvNoNumbers {
				nums = csvNumbers(rec[6])
			}
			in.Numbers = &nums
		}
		if fe := checkCustomer(in, true); fe != nil {
			add(line, fe.Field, "%s", fe.Message)
			continue
		}
		if rec[0] != "" {
			if first, dup := numbers[rec[0]]; dup {
				if first.further {
					add(line, "phone", "line %d lists this number as a further number", first.line)
				} else {
					add(line, "phone", "the same phone as line %d", first.line)
				}
				continue
			}
			numbers[rec[0]] = seen{line: line}
		}
		if in.Numbers != nil {
			dup := false
			for i, num := range *in.Numbers {
				if first, ok := numbers[num]; ok && !dup {
					add(line, fmt.Sprintf("numbers[%d]", i), "the same number as line %d", first.line)
					dup = true
				}
				if num == rec[0] && !dup {
					add(line, fmt.Sprintf("numbers[%d]", i), "the customer's own phone: list further numbers only")
					dup = true
				}
			}
			if dup {
				continue
			}
			for _, num := range *in.Numbers {
				numbers[num] = seen{line: line, further: true}
			}
		}
		if rec[1] != "" {
			if first, dup := accounts[rec[1]]; dup {
				add(line, "account", "the same account as line %d", first)
				continue
			}
			accounts[rec[1]] = line
		}
		if !bad {
			out = append(out, in)
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return out, nil
}

// importCustomers creates or updates customers from a CSV, all or nothing:
// a row whose phone (else account) is known updates that customer.
func (a *API) importCustomers(w http.ResponseWriter, r *http.Request) error {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		return &fieldError{Field: "Content-Type", Code: "invalid_request", Message: "send the file as text/csv"}
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 16*a.o.MaxBody))
	if err != nil {
		return &fieldError{Code: "invalid_request", Status: http.StatusRequestEntityTooLarge, Message: fmt.Sprintf("file larger than %d bytes", 16*a.o.MaxBody)}
	}
	rows, problems := ParseCustomersCSV(data)
	if problems != nil {
		httpapi.WriteJSON(w, http.StatusUnprocessableEntity, map[string]any{
			"error":    httpapi.ErrorDetail{Code: "invalid_csv", Message: "nothing was imported: fix the lines listed"},
			"problems": problems,
		})
		return nil
	}
	ctx := r.Context()
	created, updated := 0, 0
	err = a.o.Store.WithTx(ctx, func(tx *store.Store) error {
		for _, in := range rows {
			line := in.line
			var cur store.Customer
			var err error
			if *in.Phone != "" {
				cur, err = tx.CustomerByANI(ctx, *in.Phone)
			}
			if (*in.Phone == "" || errors.Is(err, store.ErrNotFound)) && *in.Account != "" {
				cur, err = tx.CustomerByAccount(ctx, *in.Account)
			}
			switch {
			case errors.Is(err, store.ErrNotFound):
				if _, err := a.createIn(ctx, tx, in); err != nil {
					return lineError(line, err)
				}
				created++
			case err != nil:
				return err
			default:
				v, err := a.customerViewOf(ctx, tx, cur)
				if err != nil {
					return err
				}
				if _, err := tx.BumpVersion(ctx, store.VersionedCustomers, cur.ID, 0, a.o.Now()); err != nil {
					return err
				}
				if err := a.updateIn(ctx, tx, cur.ID, v, in); err != nil {
					return lineError(line, err)
				}
				updated++
			}
		}
		return a.record(ctx, tx, r, change{action: "admin.customer.import", kind: "customers", id: "csv",
			aft: map[string]int{"created": created, "updated": updated}})
	})
	var le *importLineError
	if errors.As(err, &le) {
		httpapi.WriteJSON(w, http.StatusUnprocessableEntity, map[string]any{
			"error":    httpapi.ErrorDetail{Code: "invalid_csv", Message: "nothing was imported: fix the lines listed"},
			"problems": []LineError{le.LineError},
		})
		return nil
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]int{"created": created, "updated": updated})
}

type importLineError struct{ LineError }

func (e *importLineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Message) }

func lineError(line int, err error) error {
	var fe *fieldError
	if errors.As(err, &fe) {
		return &importLineError{LineError{Line: line, Field: fe.Field, Message: fe.Message}}
	}
	return err
}

// exportCustomers answers every customer as CSV (the import's columns),
// recorded in the audit trail as a customer export.
func (a *API) exportCustomers(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.Write(csvHeader)
	n := 0
	for after := ""; ; {
		cs, err := a.o.Store.CustomersPaged(ctx, after, "", 500)
		if err != nil {
			return err
		}
		for _, c := range cs {
			v, err := a.customerViewOf(ctx, a.o.Store, c)
			if err != nil {
				return err
			}
			_ = cw.Write([]string{v.Phone, v.Account, csvSafe(v.Name), v.Tier, strconv.FormatBool(v.Blacklisted), strconv.FormatBool(v.DoNotCall),
				strings.Join(v.Numbers, ";")})
			n++
		}
		if len(cs) < 500 {
			break
		}
		after = cs[len(cs)-1].ID
	}
	cw.Flush()
	p, _ := auth.PrincipalFrom(ctx)
	rec := audit.Record{Action: audit.ActionCustomerExport, SubjectKind: "customers", SubjectID: "all",
		After: raw(map[string]int{"rows": n})}.By(p, a.o.ClientAddr(r))
	if _, err := a.o.Audit.Append(ctx, rec); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="customers.csv"`)
	_, err := w.Write(buf.Bytes())
	return err
}

// csvSafe keeps a spreadsheet from reading a name as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
