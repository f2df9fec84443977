// The main job: server + load generator, TCP vs UDP, on loopback. Lands with the load generator (issue 5).
console.error('sockbench demo: coming with the load generator (packages/loadgen). Meanwhile: npm test');
