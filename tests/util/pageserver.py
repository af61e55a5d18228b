"""A small loopback web server for tests and benchmarks (python3, stdlib only; importable
without a build directory, so bench/ scripts can use it too): answers each GET with what
page(path) returns, from a thread per connection, on a port of its own choosing."""
import http.server
import sys
import threading


class PageServer:
    """http.server on 127.0.0.1, port 0 (self.port says which), serving in daemon threads.
    page(path) returns (body bytes, content type) for a 200, or (body, content type, {header:
    value}) with more headers, or None for a 404; it runs on
    the server's threads, so what it touches must be safe to touch from there. Replies are
    HTTP/1.1 with Content-Length (connections are kept alive, as a real server would)."""

    def __init__(self, page):
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # the head and the body go in two writes

            def do_GET(self):
                found = page(self.path)
                if found is None:
                    self.send_error(404)
                    return
                body, ctype, *more = found
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                for name, value in (more[0] if more else {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass  # a test's output is its verdicts, not an access log

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                # a client that went away (a run cancelled while a test's page held its
                # reply) is no error of the server's: no traceback on the test's output
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
