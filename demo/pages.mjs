// The demo's smaller pages: the landing page at '/', the SSE clock (/clock, reading /events), the
// WebSocket echo (/echo, talking to /ws), and what a browser gets at /hello, /async and /stream
// (curl gets plain text there).
const head = (title, extraStyle = '') => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  a { color: #0b5cad; }
  code { background: #f3f3f3; padding: 0 .2rem; border-radius: 3px; }
  .back { font-size: 14px; }
${extraStyle}
</style>
</head>
<body>
`;

/** What the landing page links to, with one line on what each shows. */
export const DEMOS = [
  {
    path: '/chat',
    title: 'Long-polling chat',
    what: 'each browser parks a request on /poll (asChannel); a POST to /msg answers them all at once',
  },
  {
    path: '/ws-chat',
    title: 'WebSocket chat',
    what: 'the same room over one WebSocket per browser (asChannel + broadcast); messages cross between the two chats',
  },
  {
    path: '/clock',
    title: 'SSE clock',
    what: 'Server-Sent Events from /events (asEventStream): a tick a second, resumed from Last-Event-ID after a reconnect',
  },
  {
    path: '/stream',
    title: 'Streaming',
    what: 'a chunked response written piece by piece from a timer through a channel (send(…, false), then close())',
  },
  { path: '/async', title: 'Async response', what: "answered 100 ms later from a timer (asyncResponse, the seed's async-response)" },
  { path: '/echo', title: 'WebSocket echo', what: 'a page that sends what you type to /ws and shows what comes back' },
];

export const landingPage = `${head(
  'http-kit demo',
  `
  li { margin: .6rem 0; }
  li span { display: block; color: #555; font-size: 14px; }
`,
)}<h1>http-kit for TypeScript: demo</h1>
<p>One server (<code>demo/server.mjs</code>), one event loop. Open a demo in two windows, or on your phone
(<code>IP=0.0.0.0 npm start</code>), to see the push.</p>
<ul id="demos">
${DEMOS.map((d) => `  <li><a href="${d.path}">${d.title}</a><span>${d.what}</span></li>`).join('\n')}
</ul>
<p>Plain text: <a href="/hello">/hello</a>. Docs: <code>docs/getting-started.md</code>.</p>
</body>
</html>
`;

export const clockPage = `${head(
  'http-kit SSE clock',
  `
  #time { font: 600 3rem/1.2 ui-monospace, monospace; margin: 1rem 0; }
  #status { color: #777; font-size: 14px; }
  #log { font: 13px/1.4 ui-monospace, monospace; color: #555; max-height: 12rem; overflow-y: auto; }
`,
)}<p class="back"><a href="/">← all demos</a></p>
<h1>Server-Sent Events clock</h1>
<p id="status">connecting…</p>
<div id="time">--:--:--</div>
<p>Tick <span id="count">0</span>, event id <span id="id">-</span>. The last events:</p>
<div id="log"></div>
<script>
  const status = document.getElementById('status');
  const log = document.getElementById('log');
  const source = new EventSource('/events');
  source.addEventListener('hello', () => { status.textContent = 'connected to /events'; });
  source.addEventListener('tick', (event) => {
    const { n, time } = JSON.parse(event.data);
    document.getElementById('time').textContent = new Date(time).toLocaleTimeString();
    document.getElementById('count').textContent = String(n);
    document.getElementById('id').textContent = event.lastEventId;
    const line = document.createElement('div');
    line.className = 'tick';
    line.textContent = 'id ' + event.lastEventId + ': ' + event.data;
    log.prepend(line);
    while (log.children.length > 10) log.lastChild.remove();
  });
  source.onerror = () => { status.textContent = 'reconnecting… (the browser will send Last-Event-ID)'; };
</script>
</body>
</html>
`;

export const echoPage = `${head(
  'http-kit WebSocket echo',
  `
  #log { border: 1px solid #ccc; min-height: 8rem; padding: .5rem; background: #fafafa; font: 14px/1.4 ui-monospace, monospace; }
  #log .sent { color: #0b5cad; }
  form { display: flex; gap: .5rem; margin-top: .5rem; }
  #text { flex: 1; font-size: 16px; }
  #status { color: #777; font-size: 14px; }
`,
)}<p class="back"><a href="/">← all demos</a></p>
<h1>WebSocket echo</h1>
<p id="status">connecting…</p>
<div id="log"></div>
<form id="form"><input id="text" placeholder="type, then Enter" autocomplete="off" autofocus><button>Send</button></form>
<script>
  const log = document.getElementById('log');
  const status = document.getElementById('status');
  const socket = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws');
  const add = (cls, text) => { const p = document.createElement('div'); p.className = cls; p.textContent = text; log.append(p); };
  socket.onopen = () => { status.textContent = 'connected to /ws'; };
  socket.onmessage = (event) => add('received', '← ' + event.data);
  socket.onclose = (event) => { status.textContent = 'closed (' + event.code + ')'; };
  document.getElementById('form').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = document.getElementById('text');
    if (text.value === '' || socket.readyState !== 1) return;
    socket.send(text.value);
    add('sent', '→ ' + text.value);
    text.value = '';
  });
</script>
</body>
</html>
`;

/** A page showing `text` (what curl gets as plain text), with a way back to the index. */
export function textPage(title, text, note = '') {
  return `${head(`http-kit ${title}`, '  pre { font: 600 1.4rem/1.4 ui-monospace, monospace; }\n')}<p class="back"><a href="/">← all demos</a></p>
<h1>${title}</h1>
<pre>${text}</pre>
${note === '' ? '' : `<p>${note}</p>\n`}</body>
</html>
`;
}

/** /stream in a browser: this head, then each chunk as it is sent, then the tail. */
export const streamPageHead = `${head('http-kit streaming', '  pre { font: 1.1rem/1.4 ui-monospace, monospace; }\n')}<p class="back"><a href="/">← all demos</a></p>
<h1>Streaming</h1>
<p>One response, written a chunk every 200 ms through a channel (<code>send(…, false)</code>, then <code>close()</code>): the
chunks appear as they arrive. <code>curl -N</code> this URL to see the same chunks as text.</p>
<pre id="chunks">`;
export const streamPageTail = `</pre>
<p id="done">Done: the server closed the response.</p>
</body>
</html>
`;
