package lb

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"
)

// TemplateRenderer renders a user's Go text/template (--template FILE) over
// Data. Functions: join, split, fields, hasPrefix, hasSuffix, contains,
// replace, trim, lower, upper. There is no clock or environment access, so a
// template is as deterministic as the built-in renderers.
type TemplateRenderer struct {
	tmpl    *template.Template
	options RenderOptions
}

var _ Renderer = (*TemplateRenderer)(nil)

// NewTemplateRenderer parses text (name is used in error messages).
func NewTemplateRenderer(name, text string, opts RenderOptions) (*TemplateRenderer, error) {
	t, err := template.New(name).Option("missingkey=error").Funcs(templateFuncs).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("parse template %s: %w", name, err)
	}
	return &TemplateRenderer{tmpl: t, options: opts}, nil
}

var templateFuncs = template.FuncMap{
	"join":      strings.Join,
	"split":     strings.Split,
	"fields":    strings.Fields,
	"hasPrefix": strings.HasPrefix,
	"hasSuffix": strings.HasSuffix, // nixy mapped this to HasPrefix by mistake
	"contains":  strings.Contains,
	"replace":   strings.ReplaceAll,
	"trim":      strings.TrimSpace,
	"lower":     strings.ToLower,
	"upper":     strings.ToUpper,
}

// Render implements Renderer.
func (r *TemplateRenderer) Render(backends []Backend) ([]byte, error) {
	var w bytes.Buffer
	if err := r.tmpl.Execute(&w, Data{Backends: backends, Options: r.options}); err != nil {
		return nil, fmt.Errorf("render template %s: %w", r.tmpl.Name(), err)
	}
	return w.Bytes(), nil
}
