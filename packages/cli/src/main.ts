console.log("medblocks CLI: commands arrive with the CLI issue");
