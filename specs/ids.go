package specs

import (
	"path"
	"strconv"
	"strings"
)

// segmentPattern is the rule for every segment of an id: lowercase letters,
// digits and dashes, not starting or ending with a dash.
const segmentPattern = `^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`

// parentPattern is an absolute group path made of valid segments, or "/".
const parentPattern = `^/([a-z0-9]([a-z0-9-]*[a-z0-9])?(/[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)?$`

// validSegment is segmentPattern without a regexp.
func validSegment(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// maxSegmentLen and maxIDLen bound ids so that every id is a DNS name, as
// Mesos-DNS and nixy's default hosts make of them (a label of at most 63
// bytes, a name of at most 253). Marathon 1.4.13 itself sets no length limit
// (state/PathId.scala:108-121 checks only the characters).
const (
	maxSegmentLen = 63
	maxIDLen      = 253
)

// segmentProblem explains why s is not a valid id segment, or returns "".
func segmentProblem(s string) string {
	if len(s) > maxSegmentLen {
		return "must be at most 63 characters (a DNS label), got " + strconv.Itoa(len(s))
	}
	if validSegment(s) {
		return ""
	}
	return "must be lowercase letters, digits and dashes, not starting or ending with a dash (" + segmentPattern + "), got " + quote(s)
}

// pathProblem explains why p is not an absolute path of valid segments.
func pathProblem(p string) string {
	if !strings.HasPrefix(p, "/") {
		return "must be an absolute path starting with /, got " + quote(p)
	}
	if p == "/" {
		return ""
	}
	for _, seg := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		if len(seg) > maxSegmentLen {
			return "segment " + quote(seg[:20]+"...") + " of the path is longer than 63 characters (a DNS label)"
		}
		if !validSegment(seg) {
			return "segment " + quote(seg) + " of " + quote(p) + " must be lowercase letters, digits and dashes, not starting or ending with a dash"
		}
	}
	return ""
}

func quote(s string) string { return `"` + s + `"` }

// joinID joins id segments under an absolute parent.
func joinID(parent string, segs ...string) string {
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(parent, "/"))
	for _, s := range segs {
		b.WriteByte('/')
		b.WriteString(s)
	}
	return b.String()
}

// resolveID makes a dependency absolute: relative ids are resolved in group,
// as Marathon does, with . and .. segments.
func resolveID(group, id string) string {
	if strings.HasPrefix(id, "/") {
		return path.Clean(id)
	}
	return path.Join(group, id)
}
