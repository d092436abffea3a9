package reconciler

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Format is an output format of a plan.
type Format string

// Plan output formats.
const (
	FormatText     Format = "text"
	FormatJSON     Format = "json"
	FormatMarkdown Format = "markdown"
	// FormatYAML is the JSON schema written as YAML, fields in the same order.
	FormatYAML Format = "yaml"
)

// ParseFormat validates an -o value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case FormatText, FormatJSON, FormatMarkdown, FormatYAML:
		return f, nil
	case "md":
		return FormatMarkdown, nil
	case "yml":
		return FormatYAML, nil
	}
	return "", fmt.Errorf("unknown output format %q (want text, json, yaml or markdown)", s)
}

// WriteOptions tune the rendering.
type WriteOptions struct {
	// Color adds ANSI colours to text output (cmd sets it for a TTY).
	Color bool
	// ShowUnchanged lists unchanged apps in text and markdown output.
	ShowUnchanged bool
}

// Write renders p in format f.
func (p *Plan) Write(w io.Writer, f Format, opts WriteOptions) error {
	switch f {
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(p)
	case FormatYAML:
		js, err := json.Marshal(p)
		if err != nil {
			return err
		}
		out, err := jsonToYAML(js)
		if err != nil {
			return fmt.Errorf("plan as yaml: %w", err)
		}
		_, err = w.Write(out)
		return err
	case FormatMarkdown:
		_, err := io.WriteString(w, p.markdown(opts))
		return err
	default:
		_, err := io.WriteString(w, p.text(opts))
		return err
	}
}

// jsonToYAML re-encodes a JSON document as block-style YAML, keeping the
// order of the fields (a JSON document is a YAML document; only its flow
// style and quoting are dropped, strings that would read as another type
// stay quoted).
func jsonToYAML(js []byte) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(js, &doc); err != nil {
		return nil, err
	}
	var unstyle func(n *yaml.Node)
	unstyle = func(n *yaml.Node) {
		n.Style = 0
		for _, c := range n.Content {
			unstyle(c)
		}
	}
	unstyle(&doc)
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// String is the plain text rendering.
func (p *Plan) String() string { return p.text(WriteOptions{}) }

const (
	ansiReset  = "\x1b[0m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiDim    = "\x1b[2m"
)

var actionStyle = map[Action]struct{ sign, color string }{
	ActionCreate:    {"+", ansiGreen},
	ActionUpdate:    {"~", ansiYellow},
	ActionScale:     {"^", ansiCyan},
	ActionDelete:    {"-", ansiRed},
	ActionUnchanged: {"=", ansiDim},
	ActionSkip:      {"!", ansiDim},
}

func (p *Plan) text(opts WriteOptions) string {
	var b strings.Builder
	paint := func(color, s string) string {
		if !opts.Color {
			return s
		}
		return color + s + ansiReset
	}
	for _, a := range p.Apps {
		if a.Action == ActionUnchanged && !opts.ShowUnchanged {
			continue
		}
		st := actionStyle[a.Action]
		line := fmt.Sprintf("%s %s %s", st.sign, a.Action, a.ID)
		if a.Reason != "" {
			line += ": " + a.Reason
		}
		if a.Source != "" && a.Action != ActionSkip {
			line += "  (" + a.Source + ")"
		}
		b.WriteString(paint(st.color, line) + "\n")
		for _, c := range a.Changes {
			b.WriteString("    " + paint(changeColor(c.Op), c.String()) + "\n")
		}
		for _, c := range a.created {
			b.WriteString("    " + paint(ansiGreen, c.Path+": "+c.NewText()) + "\n")
		}
		for _, e := range a.StopsExposing {
			b.WriteString("    " + paint(ansiRed, "! stops exposing "+a.ID+" via "+e) + "\n")
		}
	}
	for _, w := range p.Warnings {
		b.WriteString(paint(ansiRed, "warning: "+w) + "\n")
	}
	b.WriteString(p.summaryLine() + "\n")
	if len(p.Selected) > 0 {
		b.WriteString("Only " + strings.Join(p.Selected, ", ") + " (--app): other apps were not planned.\n")
	}
	return b.String()
}

func changeColor(op Op) string {
	switch op {
	case OpAdd:
		return ansiGreen
	case OpRemove:
		return ansiRed
	}
	return ansiYellow
}

func (p *Plan) summaryLine() string {
	s := p.Summary
	if p.refused != nil {
		return fmt.Sprintf("Refused by the prune guard: nothing will be applied; %d to create, %d to update, %d to scale held back.",
			s.Create, s.Update, s.Scale)
	}
	kept := p.notInGitClause() // defined in plan.go
	switch {
	case !p.HasChanges() && kept != "":
		return fmt.Sprintf("Nothing to apply, but %s; %s in sync, %d skipped.", kept, plural(s.Unchanged, "app"), s.Skip)
	case !p.HasChanges():
		return fmt.Sprintf("No changes: %s in sync, %d skipped.", plural(s.Unchanged, "app"), s.Skip)
	case kept != "":
		kept = "; " + kept
	}
	return fmt.Sprintf("Plan: %d to create, %d to update, %d to scale, %d to delete; %d unchanged, %d skipped%s.",
		s.Create, s.Update, s.Scale, s.Delete, s.Unchanged, s.Skip, kept)
}

// markdown renders a merge-request comment: a summary, a table of the apps
// that change or are skipped, and a collapsible diff per changed app.
func (p *Plan) markdown(opts WriteOptions) string {
	var b strings.Builder
	b.WriteString(p.markdownHeader() + "**" + p.summaryLine() + "**\n\n")
	for _, w := range p.Warnings {
		b.WriteString("> :warning: " + mdEscape(w) + "\n\n")
	}
	for _, a := range p.Apps {
		for _, e := range a.StopsExposing {
			fmt.Fprintf(&b, "> :no_entry: **stops exposing** `%s` via %s\n\n", a.ID, mdEscape(e))
		}
	}
	var rows []AppPlan
	for _, a := range p.Apps {
		if a.Action != ActionUnchanged || opts.ShowUnchanged {
			rows = append(rows, a)
		}
	}
	if len(rows) > 0 {
		b.WriteString("| | app | action | details |\n|---|---|---|---|\n")
		for _, a := range rows {
			details := a.Reason
			if len(a.Changes) > 0 {
				details = fmt.Sprintf("%d field(s)", len(a.Changes))
			}
			if len(a.StopsExposing) > 0 {
				details += "; **stops exposing** via " + strings.Join(a.StopsExposing, ", ")
			}
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s |\n", actionStyle[a.Action].sign, a.ID, a.Action, mdEscape(details))
		}
		b.WriteString("\n")
	}
	for _, a := range rows {
		if len(a.Changes) == 0 && len(a.created) == 0 {
			continue
		}
		fmt.Fprintf(&b, "<details><summary><code>%s</code> %s</summary>\n\n```diff\n", a.ID, a.Action)
		for _, c := range a.created {
			fmt.Fprintf(&b, "+ %s: %s\n", c.Path, c.NewText())
		}
		for _, c := range a.Changes {
			switch c.Op {
			case OpAdd:
				fmt.Fprintf(&b, "+ %s: %s\n", c.Path, c.NewText())
			case OpRemove:
				fmt.Fprintf(&b, "- %s: %s\n", c.Path, c.OldText())
			default:
				fmt.Fprintf(&b, "- %s: %s\n+ %s: %s\n", c.Path, c.OldText(), c.Path, c.NewText())
			}
		}
		b.WriteString("```\n\n</details>\n\n")
	}
	return b.String()
}

// markdownHeader names the cluster, the revision, the Marathon and the
// selection of the plan, those that are set:
//
//	### pacer plan: cluster `ams`
//
//	revision `3fb4278` · Marathon http://marathon-1.ams:8080 · only `/a`, `/b`
func (p *Plan) markdownHeader() string {
	h := "### pacer plan"
	if p.Cluster != "" {
		h += ": cluster `" + p.Cluster + "`"
	}
	h += "\n\n"
	var facts []string
	if p.Revision != "" {
		facts = append(facts, "revision `"+p.Revision+"`")
	}
	if p.Marathon != "" {
		facts = append(facts, "Marathon "+p.Marathon)
	}
	if len(p.Selected) > 0 {
		facts = append(facts, "only `"+strings.Join(p.Selected, "`, `")+"`")
	}
	if len(facts) > 0 {
		h += mdEscape(strings.Join(facts, " · ")) + "\n\n"
	}
	return h
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
