// Starts the page: reaches the desk (window.carrel, or the WebSocket in a browser), makes the
// page's store and renders the app.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { connectDesk } from './desk-client/connect.js';
import { DeskProvider } from './desk-client/desk-context.js';
import { createDeskStore } from './state/store.js';
import './styles.css';

const element = document.getElementById('root');
if (!element) throw new Error('renderer/index.html has no #root element');
const root = createRoot(element);

try {
  const client = await connectDesk();
  const store = createDeskStore(client);
  await Promise.all([store.getState().refreshStatus(), store.getState().refreshSync()]);
  root.render(
    <StrictMode>
      <DeskProvider client={client} store={store}>
        <App />
      </DeskProvider>
    </StrictMode>,
  );
} catch (error) {
  root.render(
    <main>
      <h1>Carrel</h1>
      <p role="alert">
        This page cannot reach its desk: {error instanceof Error ? error.message : String(error)}
      </p>
    </main>,
  );
}
