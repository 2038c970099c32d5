#!/usr/bin/env node
console.log('tattle: skeleton');
