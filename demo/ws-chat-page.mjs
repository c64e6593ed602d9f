// The WebSocket chat room page: one socket to /ws-chat, messages as JSON both ways. It shares its
// room with the long-polling chat at /chat (a message posted in one shows in the other).
export const wsChatPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>http-kit WebSocket chat</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
  #log { border: 1px solid #ccc; height: 22rem; overflow-y: auto; padding: .5rem; background: #fafafa; }
  #log p { margin: .2rem 0; }
  #log b { color: #245; }
  #log time { color: #999; font-size: 12px; margin-right: .4rem; }
  form { display: flex; gap: .5rem; margin-top: .5rem; }
  #text { flex: 1; }
  #status { color: #777; font-size: 13px; }
</style>
</head>
<body>
<h1>WebSocket chat</h1>
<p id="status">connecting…</p>
<div id="log"></div>
<form id="form">
  <input id="name" placeholder="name" size="10">
  <input id="text" placeholder="say something" autocomplete="off" autofocus>
  <button>Send</button>
</form>
<script>
  const log = document.getElementById('log');
  const status = document.getElementById('status');
  let socket = null;
  let retry = 500;
  function show(messages) {
    for (const m of messages) {
      const p = document.createElement('p');
      const time = document.createElement('time');
      time.textContent = new Date(m.at).toLocaleTimeString();
      const who = document.createElement('b');
      who.textContent = m.name + ': ';
      p.append(time, who, document.createTextNode(m.text));
      log.append(p);
    }
    log.scrollTop = log.scrollHeight;
  }
  function connect() {
    socket = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws-chat');
    socket.onopen = () => { status.textContent = 'connected'; retry = 500; };
    socket.onmessage = (event) => show(JSON.parse(event.data));
    socket.onclose = () => {
      status.textContent = 'disconnected, retrying…';
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 8000);
    };
  }
  document.getElementById('form').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = document.getElementById('text');
    if (text.value.trim() === '' || socket === null || socket.readyState !== 1) return;
    socket.send(JSON.stringify({ name: document.getElementById('name').value, text: text.value }));
    text.value = '';
  });
  connect();
</script>
</body>
</html>
`;
