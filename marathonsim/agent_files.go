package marathonsim

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/user"
	"path"
	"sort"
	"strconv"
	"syscall"
)

// readCap is the agent's cap on one read: 16 pages (files/files.cpp,
// FilesProcess::_read, "Cap the read length at 16 pages").
var readCap = int64(os.Getpagesize() * 16)

// filesRead is the body of /files/read: keys in the order Mesos' JSON
// object (a sorted map) writes them.
type filesRead struct {
	Data   string `json:"data"`
	Offset int64  `json:"offset"`
}

// handleFilesRead is FilesProcess::__read and _read of Mesos 1.x: offset
// defaults to -1, which (like length 0) answers the file's size with no
// data; length -1 or none reads to the end; every read is capped at
// readCap; an offset past the end answers that offset with no data.
func (s *Server) handleFilesRead(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := q.Get("path")
	if p == "" {
		textErr(w, http.StatusBadRequest, "Expecting 'path=value' in query.\n")
		return
	}
	offset := int64(-1)
	if q.Has("offset") {
		n, err := strconv.ParseInt(q.Get("offset"), 10, 64)
		if err != nil {
			textErr(w, http.StatusBadRequest, "Failed to parse offset: Failed to convert '"+q.Get("offset")+"' to number.\n")
			return
		}
		if n < -1 {
			textErr(w, http.StatusBadRequest, fmt.Sprintf("Negative offset provided: %d.\n", n))
			return
		}
		offset = n
	}
	length := int64(-1)
	if q.Has("length") {
		n, err := strconv.ParseInt(q.Get("length"), 10, 64)
		if err != nil {
			textErr(w, http.StatusBadRequest, "Failed to parse length: Failed to convert '"+q.Get("length")+"' to number.\n")
			return
		}
		if n < -1 {
			textErr(w, http.StatusBadRequest, fmt.Sprintf("Negative length provided: %d.\n", n))
			return
		}
		length = n
	}
	real, ok, err := s.resolve(p)
	switch {
	case err != nil:
		textErr(w, http.StatusBadRequest, err.Error()+".\n")
		return
	case !ok:
		textErr(w, http.StatusNotFound, "")
		return
	}
	f, err := os.Open(real)
	if err != nil {
		textErr(w, http.StatusInternalServerError, fmt.Sprintf("Failed to open file at '%s': %v.\n", real, err))
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		textErr(w, http.StatusInternalServerError, fmt.Sprintf("Failed to open file at '%s': %v.\n", real, err))
		return
	}
	if st.IsDir() {
		textErr(w, http.StatusBadRequest, "Cannot read a directory.\n")
		return
	}
	size := st.Size()
	if offset == -1 {
		agentJSON(w, http.StatusOK, filesRead{Offset: size})
		return
	}
	if offset >= size || length == 0 {
		agentJSON(w, http.StatusOK, filesRead{Offset: offset})
		return
	}
	if length == -1 {
		length = size - offset
	}
	length = min(length, readCap)
	buf := make([]byte, length)
	n, err := f.ReadAt(buf, offset)
	if err != nil && err != io.EOF {
		textErr(w, http.StatusInternalServerError, fmt.Sprintf("Failed to read file at '%s': %v.\n", real, err))
		return
	}
	agentJSON(w, http.StatusOK, filesRead{Data: string(buf[:n]), Offset: offset})
}

// fileInfo is one entry of /files/browse, as model(FileInfo) writes it
// (common/http.cpp): keys sorted, mode as ls prints it, uid and gid as
// names, mtime in Unix seconds.
type fileInfo struct {
	GID   string  `json:"gid"`
	Mode  string  `json:"mode"`
	MTime float64 `json:"mtime"`
	NLink uint64  `json:"nlink"`
	Path  string  `json:"path"`
	Size  int64   `json:"size"`
	UID   string  `json:"uid"`
}

// handleFilesBrowse is FilesProcess::_browse and browse: the entries of an
// attached directory, sorted by path, each named by the virtual path asked
// for joined with the entry's name.
func (s *Server) handleFilesBrowse(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Query().Get("path")
	if p == "" {
		textErr(w, http.StatusBadRequest, "Expecting 'path=value' in query.\n")
		return
	}
	real, ok, err := s.resolve(p)
	switch {
	case err != nil:
		textErr(w, http.StatusBadRequest, err.Error()+".\n")
		return
	case !ok:
		textErr(w, http.StatusNotFound, "")
		return
	}
	entries, _ := os.ReadDir(real) // a file lists as empty, as os::ls fails on it
	out := make([]fileInfo, 0, len(entries))
	for _, e := range entries {
		st, err := os.Stat(path.Join(real, e.Name()))
		if err != nil {
			continue
		}
		out = append(out, statInfo(path.Join(p, e.Name()), st))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	agentJSON(w, http.StatusOK, out)
}

func statInfo(virtual string, st os.FileInfo) fileInfo {
	fi := fileInfo{Path: virtual, Size: st.Size(), Mode: st.Mode().String(), NLink: 1,
		MTime: float64(st.ModTime().UnixNano()) / 1e9}
	if st.IsDir() {
		fi.Mode = "d" + st.Mode().Perm().String()[1:]
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		fi.NLink = uint64(sys.Nlink)
		fi.UID, fi.GID = strconv.Itoa(int(sys.Uid)), strconv.Itoa(int(sys.Gid))
		if u, err := user.LookupId(fi.UID); err == nil {
			fi.UID = u.Username
		}
		if g, err := user.LookupGroupId(fi.GID); err == nil {
			fi.GID = g.Name
		}
	}
	return fi
}
