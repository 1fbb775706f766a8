// An MCP server that dies on start, as a misconfigured one does.
process.stderr.write("fatal: could not open database /nonexistent/db.sqlite\n");
process.exit(3);
