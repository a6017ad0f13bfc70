export function App() {
  // Read once: the preload bridge is in place before any page script runs.
  const bridge = window.carrel;
  return (
    <main>
      <h1>Carrel desk</h1>
      <p>{bridge ? `Version ${bridge.version}` : 'browser mode'}</p>
    </main>
  );
}
