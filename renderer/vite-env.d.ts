// Side-effect imports of stylesheets: vite bundles them into the page's CSS file.
declare module '*.css';
