// The main job (placeholder until the core demo lands).
console.log('strongroom: nothing to run yet');
