// The WebSocket chat room page: one socket to /ws-chat, messages as JSON both ways. It shares its
// room with the long-polling chat at /chat (a message posted in one shows in the other).
import { chatLayout } from './chat-layout.mjs';

export const wsChatPage = chatLayout({
  title: 'http-kit WebSocket chat',
  heading: 'WebSocket chat',
  transport: `  let socket = null;
  let retry = 500;
  function connect() {
    socket = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws-chat');
    socket.onopen = () => { status.textContent = 'connected'; retry = 500; };
    socket.onmessage = (event) => {
      const data = JSON.parse(event.data); // a list of messages, or { error } when a post could not be sent
      if (Array.isArray(data)) show(data);
      else status.textContent = 'could not send (' + data.error + ')';
    };
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
    socket.send(JSON.stringify({ name: document.getElementById('name').value, text: text.value, from: me }));
    text.value = '';
  });
  connect();
`,
});
