// Never download a browser: tests drive Debian's /usr/bin/chromium.
module.exports = { skipDownload: true };
