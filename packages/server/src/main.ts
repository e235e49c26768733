console.error("The Medblocks webhook service is not built yet.");
process.exit(1);
