package specs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// fileResult is what one file decodes to.
type fileResult struct {
	name     string
	clusters []*Cluster
	groups   []*ServiceGroup
	errs     Errors
}

// parseFiles decodes files concurrently; results keep the order of files so
// the outcome is deterministic.
func parseFiles(fsys fs.FS, files []string) []*fileResult {
	results := make([]*fileResult, len(files))
	workers := min(runtime.GOMAXPROCS(0), len(files))
	var next sync.Mutex
	i := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			sh := newShapes()
			for {
				next.Lock()
				n := i
				i++
				next.Unlock()
				if n >= len(files) {
					return
				}
				results[n] = parseFile(fsys, files[n], sh)
			}
		})
	}
	wg.Wait()
	return results
}

func parseFile(fsys fs.FS, name string, sh *shapes) *fileResult {
	r := &fileResult{name: name}
	data, rerr := readSpecFile(fsys, name)
	if rerr != nil {
		r.errs = append(r.errs, rerr)
		return r
	}
	if e := checkText(name, data); e != nil {
		r.errs = append(r.errs, e)
		return r
	}
	parseDocuments(r, data, sh)
	return r
}

// checkText refuses binary files and invalid UTF-8 with a precise position,
// which the YAML parser does not give.
func checkText(name string, data []byte) *Error {
	if i := bytes.IndexByte(data, 0); i >= 0 {
		line, col := position(data, i)
		return &Error{File: name, Line: line, Col: col, Msg: "binary file (NUL byte); spec files are UTF-8 YAML text"}
	}
	if !utf8.Valid(data) {
		i := 0
		for i < len(data) {
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			i += size
		}
		line, col := position(data, i)
		return &Error{File: name, Line: line, Col: col, Msg: "invalid UTF-8; spec files must be UTF-8 text"}
	}
	return nil
}

// position turns a byte offset into a 1-based line and column (in runes).
func position(data []byte, off int) (line, col int) {
	before := data[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	start := bytes.LastIndexByte(before, '\n') + 1
	return line, utf8.RuneCount(before[start:]) + 1
}

func parseDocuments(r *fileResult, data []byte, sh *shapes) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := decodeNode(dec, &doc)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			r.errs = append(r.errs, yamlError(r.name, data, err))
			return
		}
		decodeDocument(r, &doc, sh)
	}
}

// decodeNode turns a panic of the YAML parser into an error: a malformed
// file must never take pacer down.
func decodeNode(dec *yaml.Decoder, doc *yaml.Node) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("YAML parser failed: %v", p)
		}
	}()
	return dec.Decode(doc)
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError maps a YAML syntax error to a positioned problem. The parser
// gives a line only; the column is the first tab of that line when the
// problem is a tab, else 1.
func yamlError(name string, data []byte, err error) *Error {
	msg := err.Error()
	m := yamlLineRE.FindStringSubmatch(msg)
	if m == nil {
		return &Error{File: name, Line: 1, Col: 1, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
	}
	line, _ := strconv.Atoi(m[1])
	text := lineText(data, line)
	col := 1
	detail := m[2]
	if i := strings.IndexByte(text, '\t'); i >= 0 && strings.TrimLeft(text[:i], " ") == "" {
		col = utf8.RuneCountInString(text[:i]) + 1
		detail += " (a tab in indentation; YAML indents with spaces)"
	}
	return &Error{File: name, Line: line, Col: col, Msg: "invalid YAML: " + detail}
}

func lineText(data []byte, line int) string {
	for i := 1; i < line; i++ {
		j := bytes.IndexByte(data, '\n')
		if j < 0 {
			return ""
		}
		data = data[j+1:]
	}
	if j := bytes.IndexByte(data, '\n'); j >= 0 {
		data = data[:j]
	}
	return string(data)
}
