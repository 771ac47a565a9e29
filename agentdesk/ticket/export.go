package ticket

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/hotline10000/hotline/internal/mask"
)

// exportColumns are the CSV header.
var exportColumns = []string{
	"number", "type", "category", "priority", "status", "group", "assignee", "region",
	"customer_phone", "customer_tier", "channel", "subject", "created_at", "first_response_at",
	"resolution_due", "resolved_at", "on_time", "breached", "urges", "closed_at",
}

// ExportOptions tune Export.
type ExportOptions struct {
	// Clear writes customers' phone numbers and the ID numbers in subjects
	// whole; without it they are masked ("139****0001"). The caller checks
	// that whoever asks may have them (auth.PermExportClear).
	Clear bool
}

// Export writes the tickets matching f as CSV that opens correctly in Excel:
// UTF-8 with a byte-order mark, CRLF line ends, and cells that would start a
// formula (= + - @) prefixed with an apostrophe. Leads, supervisors and
// systems may export. f.Limit and f.Offset are ignored: everything matching
// is written, page by page, oldest first unless f.Sort says otherwise.
func (s *Service) Export(ctx context.Context, actor Actor, f Filter, w io.Writer, o ExportOptions) error {
	if actor.Role != LeadRole && actor.Role != SupervisorRole && actor.Role != SystemRole {
		return ErrForbidden
	}
	f.Limit, f.Offset = MaxPage, 0
	if f.Sort == "" {
		// Oldest first pages stably while new tickets arrive at the end.
		f.Sort = Oldest
	}
	if err := f.Validate(); err != nil {
		return err
	}
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(exportColumns); err != nil {
		return err
	}
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(s.loc).Format("2006-01-02 15:04:05")
	}
	for {
		page, err := s.Search(ctx, actor, f)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		for _, t := range page {
			phone, subject := t.Customer.Phone, t.Subject
			if !o.Clear {
				phone, subject = mask.Phone(phone), mask.IDsInText(subject)
			}
			row := []string{
				t.Number, string(t.Type), t.Category, string(t.Priority), string(t.Status), t.Group,
				t.Assignee, t.Region, phone, string(t.Customer.Tier), string(t.Channel),
				subject, ts(t.CreatedAt), ts(t.SLA.FirstResponseAt), ts(t.SLA.ResolutionDue),
				ts(t.SLA.ResolvedAt), strconv.FormatBool(t.SLA.OnTime), strconv.FormatBool(t.SLA.Breached),
				strconv.Itoa(t.Urges), ts(t.ClosedAt),
			}
			for i, cell := range row {
				row[i] = cellSafe(cell)
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		if len(page) < f.Limit {
			return nil
		}
		f.Offset += len(page)
	}
}

// cellSafe keeps a spreadsheet from reading a cell as a formula (CSV
// injection): text starting with = + - @ or a tab/CR gets a leading
// apostrophe. Phone numbers starting with + are text too.
func cellSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
