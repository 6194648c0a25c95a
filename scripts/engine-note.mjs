// postinstall: on a Node older than the engines field asks for, says once, right under npm's EBADENGINE
// warnings, why they are harmless here — the project's scripts never run on this Node.
const major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  console.log(
    `note: the "EBADENGINE Unsupported engine" warnings above are expected on Node ${process.versions.node}: ` +
      "wrangler, miniflare and this project ask for Node 22, and every npm script (start, test, deploy) runs on the " +
      "Node 22 that the `node` devDependency installed into node_modules/.bin. Nothing failed.",
  );
}
