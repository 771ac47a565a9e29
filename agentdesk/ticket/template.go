package ticket

import (
	"embed"
	"fmt"
	"slices"
	"strings"
	"text/template"
	"time"
)

//go:embed templates/*.tmpl
var templateFiles embed.FS

// Languages of the notification templates; the first is the default.
var Languages = []string{"zh", "en"}

var templates = func() map[string]*template.Template {
	m := map[string]*template.Template{}
	for _, lang := range Languages {
		m[lang] = template.Must(template.ParseFS(templateFiles, "templates/"+lang+".tmpl"))
	}
	return m
}()

var typeNames = map[string]map[Type]string{
	"zh": {Fault: "故障", Complaint: "投诉", Inquiry: "咨询", ServiceRequest: "业务办理", Callback: "回呼", ReturnVisit: "回访"},
	"en": {Fault: "fault", Complaint: "complaint", Inquiry: "inquiry", ServiceRequest: "service request", Callback: "callback", ReturnVisit: "return visit"},
}

var priorityNames = map[string]map[Priority]string{
	"zh": {Low: "低", Normal: "普通", High: "高", Urgent: "紧急"},
	"en": {Low: "low", Normal: "normal", High: "high", Urgent: "urgent"},
}

var statusNames = map[string]map[Status]string{
	"zh": {New: "新建", Pooled: "待领取", Assigned: "已派单", InProgress: "处理中", Pending: "挂起", Resolved: "已解决",
		Visiting: "回访中", Closed: "已关闭", Merged: "已合并", Cancelled: "已撤销"},
	"en": {New: "new", Pooled: "pooled", Assigned: "assigned", InProgress: "in progress", Pending: "pending", Resolved: "resolved",
		Visiting: "return visit", Closed: "closed", Merged: "merged", Cancelled: "cancelled"},
}

var clockNames = map[string][2]string{"zh": {"首次响应", "处理"}, "en": {"first-response", "resolution"}}

// note is the data a template sees.
type note struct {
	Number, Subject, Resolution, Group, Text, Status string
	TypeName, PriorityName, Clock, Due, Event        string
	Urges, Step                                      int
	Percent                                          string
}

func language(l string) string {
	if _, ok := templates[l]; ok {
		return l
	}
	return Languages[0]
}

// render fills template name for t in lang. Times show in loc.
func render(templates map[string]*template.Template, lang, name string, t *Ticket, n note, loc *time.Location) (subject, body string, err error) {
	lang = language(lang)
	n.Number, n.Subject, n.Group, n.Status = t.Number, t.Subject, t.Group, statusNames[lang][t.Status]
	if n.Resolution == "" {
		n.Resolution = t.Resolution
	}
	n.TypeName, n.PriorityName = typeNames[lang][t.Type], priorityNames[lang][t.Priority]
	switch n.Clock {
	case "first_response":
		n.Clock = clockNames[lang][0]
	case "resolution":
		n.Clock = clockNames[lang][1]
	}
	if n.Event == "" {
		n.Event = name
	}
	var b strings.Builder
	if err := templates[lang].ExecuteTemplate(&b, name, n); err != nil {
		return "", "", fmt.Errorf("render %s/%s: %w", lang, name, err)
	}
	body = b.String()
	b.Reset()
	if err := templates[lang].ExecuteTemplate(&b, "subject", n); err != nil {
		return "", "", fmt.Errorf("render %s/subject: %w", lang, err)
	}
	return b.String(), body, nil
}

// parseTemplates returns the built-in templates with the overrides in o
// (language → name → text/template source). Every override must name a
// language and a template that exist and render a sample ticket; errors
// name the override as templates.<lang>.<name>.
func parseTemplates(o Templates) (map[string]*template.Template, error) {
	if len(o) == 0 {
		return templates, nil
	}
	out := make(map[string]*template.Template, len(templates))
	for lang, t := range templates {
		out[lang] = t
	}
	sample := &Ticket{Number: "20261129-0001", Subject: "sample", Group: "g", Type: Fault, Priority: Normal, Status: InProgress}
	for _, lang := range sortedKeys(o) {
		base, ok := templates[lang]
		if !ok {
			return nil, fmt.Errorf("templates.%s: unknown language (zh or en)", lang)
		}
		t, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("templates.%s: %w", lang, err)
		}
		for _, name := range sortedKeys(o[lang]) {
			at := fmt.Sprintf("templates.%s.%s", lang, name)
			if base.Lookup(name) == nil {
				return nil, fmt.Errorf("%s: unknown template", at)
			}
			src := o[lang][name]
			if strings.TrimSpace(src) == "" || len(src) > 2000 {
				return nil, fmt.Errorf("%s: 1–2000 characters", at)
			}
			if _, err := t.New(name).Parse(src); err != nil {
				return nil, fmt.Errorf("%s: %v", at, err)
			}
		}
		out[lang] = t
		for _, name := range sortedKeys(o[lang]) {
			if _, _, err := render(out, lang, name, sample, note{}, time.UTC); err != nil {
				return nil, fmt.Errorf("templates.%s.%s: %v", lang, name, err)
			}
		}
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func dueText(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(loc).Format("2006-01-02 15:04")
}
