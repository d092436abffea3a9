package marathon

import (
	"bufio"
	"bytes"
	"html"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// checkMarathonAnswer tells an answer of the Marathon API from one of
// something else at that address: a proxy's login or error page, a web
// server's default page. Marathon answers JSON everywhere (BEHAVIOUR.md), so
// an HTML body (by Content-Type or by its first byte) is not Marathon's, nor
// is a 2xx body that does not start like JSON. 401 and 403 are left
// to the caller, which names the credentials. It peeks at br without
// consuming it (unless the answer is HTML); br needs a buffer of 512 bytes.
func checkMarathonAnswer(base *url.URL, resp *http.Response, br *bufio.Reader) error {
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return nil
	}
	ct := resp.Header.Get("Content-Type")
	media, _, _ := mime.ParseMediaType(ct)
	head, _ := br.Peek(512)
	first := bytes.TrimLeft(head, " \t\r\n\ufeff")
	isHTML := strings.Contains(media, "html") || len(first) > 0 && first[0] == '<'
	if isHTML {
		return &NotMarathonError{URL: displayURL(base), Status: resp.StatusCode, ContentType: ct, HTML: true, Title: htmlTitle(br)}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 || len(first) == 0 {
		return nil
	}
	// The first byte, not the header: test servers and some proxies send
	// JSON as text/plain (Go's content sniffing does).
	if first[0] == '{' || first[0] == '[' || first[0] == '"' {
		return nil
	}
	return &NotMarathonError{URL: displayURL(base), Status: resp.StatusCode, ContentType: ct}
}

var titleRE = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)

// htmlTitle finds the page title in the first 4 KiB, consuming them.
func htmlTitle(br *bufio.Reader) string {
	head, _ := io.ReadAll(io.LimitReader(br, 4096))
	m := titleRE.FindSubmatch(head)
	if m == nil {
		return ""
	}
	t := strings.Join(strings.Fields(html.UnescapeString(string(m[1]))), " ")
	if len(t) > 80 {
		t = t[:80] + "…"
	}
	return t
}
